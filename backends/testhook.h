/* Test-only hooks, for the kill loops of tests/16-kill-loops.bats: never
 * set them outside tests.
 *
 * DBCLONE_TEST_PHASES=FILE: every process appends "PID PHASE NAME" to FILE
 * as a clone goes through its life (intent, create, created, made, drop,
 * dropped), so that a test that kills it knows which step the kill hit.
 * DBCLONE_TEST_DELAY_AFTER_CREATE_MS=N: sleeps N ms between the creation
 * of a clone and its marker (the window the intent exists for), and
 * between a process's claim of a clone and its telling the run (claims.h),
 * so that random kills land in them. DBCLONE_TEST_DELAY_WARM_MS=N: sleeps
 * N ms while a pool's warm-up session is on a new clone (phase "warm"). */
#ifndef DBCLONE_TESTHOOK_H
#define DBCLONE_TESTHOOK_H

/* Records that the calling process reaches phase for the clone name;
 * "created" and "claimed" also sleep DBCLONE_TEST_DELAY_AFTER_CREATE_MS,
 * "warm" DBCLONE_TEST_DELAY_WARM_MS. Does nothing when neither variable
 * is set. */
void test_phase(const char *phase, const char *name);

#endif
