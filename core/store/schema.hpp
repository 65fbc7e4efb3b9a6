#pragma once

// The store's schema and its forward migrations. The version lives in SQLite's
// PRAGMA user_version; migration N takes the schema from version N-1 to N and
// runs in one transaction together with the version bump.

#include "core/common/result.hpp"
#include "core/store/sqlite.hpp"

namespace candor::store {

/// The version this code creates and understands.
int latest_schema_version();

/// The version stored in `db` (0 for a new, empty database).
Result<int> read_schema_version(Database& db);

/// Applies every migration newer than the stored version. A database written by
/// newer code (a version above latest_schema_version()) is refused with
/// kFailedPrecondition naming the path and both versions.
Status migrate(Database& db);

}  // namespace candor::store
