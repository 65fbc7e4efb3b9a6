#include "core/store/schema.hpp"

#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "core/store/store.hpp"
#include "tests/core/store/test_support.hpp"

namespace candor::store {
namespace {

using test_support::TempDir;

TEST(Schema, FreshDatabaseGetsLatestVersion) {
  auto store = Store::open(":memory:");
  ASSERT_TRUE(store) << store.error().to_string();

  EXPECT_EQ((*store)->schema_version(), latest_schema_version());
  EXPECT_GE(latest_schema_version(), 1);
}

TEST(Schema, MigrateIsIdempotent) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);

  ASSERT_TRUE(migrate(*db));
  ASSERT_TRUE(migrate(*db));

  auto version = read_schema_version(*db);
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, latest_schema_version());
}

TEST(Schema, ReopenKeepsDataAndVersion) {
  TempDir dir;
  auto const path = dir.file("keep.db");
  {
    auto store = Store::open(path);
    ASSERT_TRUE(store) << store.error().to_string();
    domain::Candidate c{.id = 7, .candidate_number = "CAND-7", .phone = "+14155550100"};
    ASSERT_TRUE((*store)->upsert_candidates(std::span(&c, 1)));
  }

  auto store = Store::open(path);
  ASSERT_TRUE(store) << store.error().to_string();
  EXPECT_EQ((*store)->schema_version(), latest_schema_version());
  auto found = (*store)->find_candidate(7);
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->candidate_number, "CAND-7");
}

TEST(Schema, RefusesNewerSchemaNamingPathAndVersions) {
  TempDir dir;
  auto const path = dir.file("newer.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }

  auto store = Store::open(path);

  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::kFailedPrecondition);
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("999"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace candor::store
