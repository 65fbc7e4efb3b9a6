#include "core/store/sqlite.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace candor::store {
namespace {

using ::testing::HasSubstr;

TEST(Database, QueryReadsTheFirstColumnOfTheFirstRow) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(
      db->exec("CREATE TABLE t (n INTEGER, s TEXT); "
               "INSERT INTO t VALUES (7, 'seven'), (8, 'eight');"));

  auto const number = db->query_int64("SELECT n FROM t ORDER BY n");
  ASSERT_TRUE(number) << number.error().to_string();
  EXPECT_EQ(*number, 7);
  auto const text = db->query_text("SELECT s, n FROM t ORDER BY n DESC");
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(*text, "eight");
  auto const pragma = db->query_int64("PRAGMA user_version");
  ASSERT_TRUE(pragma) << pragma.error().to_string();
  EXPECT_EQ(*pragma, 0);
}

TEST(Database, QueryWithoutARowGivesNullopt) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db) << db.error().to_string();

  auto const none = db->query_text("SELECT 'x' WHERE 0");
  ASSERT_TRUE(none) << none.error().to_string();
  EXPECT_EQ(*none, std::nullopt);
}

TEST(Database, QueryErrorsNameTheStatement) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db) << db.error().to_string();

  auto const missing = db->query_int64("SELECT n FROM absent");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().to_string(), HasSubstr("SELECT n FROM absent"));
  EXPECT_THAT(missing.error().to_string(), HasSubstr("no such table"));
}

}  // namespace
}  // namespace candor::store
