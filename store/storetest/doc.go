// Package storetest is the conformance suite every store backend must pass:
// the Store contracts the features declare (today users.FullStore) plus the
// migrator, checked through behaviour only (no SQL), so *store.DB on every
// dialect and any hand-written fake are held to the same rules.
//
// A dialect's test calls Run with a function that opens a fresh, migrated
// store, and RunMigrations with one that opens two handles on one fresh,
// unmigrated database:
//
//	func TestSQLite(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store {
//			return mustOpenMigrated(t, filepath.Join(t.TempDir(), "hanko.db"))
//		})
//	}
//
// Cases run in parallel, each on its own store. Fixture times are truncated
// to microseconds (the precision every engine keeps) and compared with
// time.Time.Equal; errors are compared with errors.Is against autherr kinds.
package storetest
