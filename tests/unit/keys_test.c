/* Unit tests of the test key lifecycle (backends/keys.c), without servers:
 * the key format, and when a key is over as processes use keys, move on,
 * exit, work side by side, and the run's epoch moves. Ends with the plain
 * "N passed, N failed" line. */
#include <string.h>

#include "check.h"
#include "keys.h"

/* The keys that were over, in order, joined by spaces. */
static char over_log[4096];

static void record_over(const char *key, void *ctx)
{
	(void)ctx;
	if (over_log[0])
		strcat(over_log, " ");
	strcat(over_log, key);
}

static bool over_was(const char *keys)
{
	bool same = !strcmp(over_log, keys);

	if (!same)
		fprintf(stderr, "keys over: \"%s\", expected \"%s\"\n", over_log,
			keys);
	over_log[0] = '\0';
	return same;
}

static void use(struct keys *ks, struct key_user *u, const char *key)
{
	keys_use(ks, u, key, record_over, NULL);
}

/* Two processes start, a uses key_a, then b uses key_b. */
static void two_start(struct keys *ks, struct key_user *a, const char *key_a,
		      struct key_user *b, const char *key_b)
{
	keys_join(ks, a);
	keys_join(ks, b);
	use(ks, a, key_a);
	use(ks, b, key_b);
}

static void key_format_names_tests_and_epochs(void)
{
	char key[KEY_MAX], long_test[2000];

	key_format(key, sizeof(key), "test_login", "0", 3);
	CHECK(!strcmp(key, "t:test_login#0"));
	/* No DBCLONE_TEST (unset or empty): the run's epoch names the key. */
	key_format(key, sizeof(key), "", "2", 3);
	CHECK(!strcmp(key, "e3#2"));
	key_format(key, sizeof(key), NULL, "0", 0);
	CHECK(!strcmp(key, "e0#0"));
	/* A client's signal count is cut, not trusted to be short. */
	key_format(key, sizeof(key), "a", "123456789012345678901234", 0);
	CHECK(!strcmp(key, "t:a#12345678901234567890"));
	/* A long test name is shortened, and still fits with its prefix. */
	memset(long_test, 'x', sizeof(long_test) - 1);
	long_test[sizeof(long_test) - 1] = '\0';
	key_format(key, sizeof(key), long_test, "0", 0);
	CHECK(strlen(key) < KEY_MAX);
	CHECK(!strncmp(key, "t:xxx", 5));
	CHECK(strchr(key, '~') != NULL);
}

/* From wire_test.c, where the shortening of test names lived: through
 * key_format now, the one place keys are made. */
static void long_test_names_stay_apart(void)
{
	char a[2000], b[2000], ka[KEY_MAX], kb[KEY_MAX];

	/* Long names that share their head differ by a digest. */
	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 2] = 'y';
	key_format(ka, sizeof(ka), a, "0", 0);
	key_format(kb, sizeof(kb), b, "0", 0);
	CHECK(strlen(ka) == strlen(kb));
	CHECK(strcmp(ka, kb) != 0);
	CHECK(strncmp(ka, kb, strcspn(ka, "~")) == 0);
	CHECK(strcspn(ka, "~") > 400);
	/* And the same name gives the same key. */
	key_format(ka, sizeof(ka), b, "0", 0);
	CHECK(strcmp(ka, kb) == 0);
}

static void moving_on_ends_the_old_key(void)
{
	struct keys ks = {0};
	struct key_user a;

	keys_join(&ks, &a);
	CHECK(keys_use(&ks, &a, "t:one#0", record_over, NULL));
	CHECK(!keys_use(&ks, &a, "t:one#0", record_over, NULL));
	CHECK(over_was(""));
	use(&ks, &a, "t:two#0");
	CHECK(over_was("t:one#0"));
	CHECK(!strcmp(keys_last(&ks), "t:two#0"));
	/* A boundary signal is a new key too. */
	use(&ks, &a, "t:two#1");
	CHECK(over_was("t:two#0"));
	keys_leave(&ks, &a, record_over, NULL);
	CHECK(over_was(""));
	keys_end_all(&ks, record_over, NULL);
	CHECK(over_was("t:two#1"));
	CHECK(keys_last(&ks) == NULL);
}

static void a_key_another_process_has_stays(void)
{
	struct keys ks = {0};
	struct key_user a, b;

	two_start(&ks, &a, "t:shared#0", &b, "t:shared#0");
	/* a moves on; b still works in the shared key's clone. */
	use(&ks, &a, "t:next#0");
	CHECK(over_was(""));
	/* b moves too: nobody has it, and a newer key exists. */
	use(&ks, &b, "t:next#0");
	CHECK(over_was("t:shared#0"));
	keys_end_all(&ks, NULL, NULL);
}

static void an_exit_alone_does_not_end_a_key(void)
{
	struct keys ks = {0};
	struct key_user a, b, c;

	keys_join(&ks, &a);
	use(&ks, &a, "t:one#0");
	keys_leave(&ks, &a, record_over, NULL);
	CHECK(over_was(""));
	/* The next process of the same test comes: same key, same clone. */
	keys_join(&ks, &b);
	CHECK(!keys_use(&ks, &b, "t:one#0", record_over, NULL));
	CHECK(over_was(""));
	keys_leave(&ks, &b, record_over, NULL);
	/* A process of the next test: the exited test's key is over. */
	keys_join(&ks, &c);
	use(&ks, &c, "t:two#0");
	CHECK(over_was("t:one#0"));
	keys_end_all(&ks, NULL, NULL);
}

static void an_exit_after_a_newer_key_ends_it(void)
{
	struct keys ks = {0};
	struct key_user a, b;

	two_start(&ks, &a, "t:one#0", &b, "t:two#0");
	/* a still has its key: the newer one does not end it... */
	CHECK(over_was(""));
	/* ...until a is gone. */
	keys_leave(&ks, &a, record_over, NULL);
	CHECK(over_was("t:one#0"));
	keys_leave(&ks, &b, record_over, NULL);
	CHECK(over_was(""));
	keys_end_all(&ks, record_over, NULL);
	CHECK(over_was("t:two#0"));
}

static void parallel_workers_keep_their_keys(void)
{
	struct keys ks = {0};
	struct key_user w[4];
	char key[32];

	/* Four workers (pytest-xdist), each in its own test at once. */
	for (int i = 0; i < 4; i++) {
		keys_join(&ks, &w[i]);
		snprintf(key, sizeof(key), "t:w%d-a#0", i);
		use(&ks, &w[i], key);
	}
	CHECK(over_was(""));
	/* Each moves to its next test: only its own old key ends. */
	for (int i = 0; i < 4; i++) {
		char old[32];

		snprintf(old, sizeof(old), "t:w%d-a#0", i);
		snprintf(key, sizeof(key), "t:w%d-b#0", i);
		use(&ks, &w[i], key);
		CHECK(over_was(old));
	}
	/* A worker that dies mid-test leaves its key to the run's end while
	 * no newer key comes... */
	keys_leave(&ks, &w[3], record_over, NULL);
	CHECK(over_was(""));
	/* ...and the next key handed out ends it, not the live ones. */
	use(&ks, &w[0], "t:w0-c#0");
	CHECK(over_was("t:w0-b#0 t:w3-b#0"));
	for (int i = 0; i < 3; i++)
		keys_leave(&ks, &w[i], record_over, NULL);
	keys_end_all(&ks, NULL, NULL);
	over_log[0] = '\0';
}

static void next_epoch_ends_epoch_keys_only(void)
{
	struct keys ks = {0};
	struct key_user a, b;
	char key[KEY_MAX];

	key_format(key, sizeof(key), "", "0", ks.epoch);
	two_start(&ks, &a, key, &b, "t:named#0");
	CHECK(over_was(""));
	/* Even while a still has it: dbclone next moves the whole run. */
	CHECK(keys_next_epoch(&ks, record_over, NULL) == 1);
	CHECK(over_was("e0#0"));
	key_format(key, sizeof(key), "", "0", ks.epoch);
	CHECK(!strcmp(key, "e1#0"));
	/* a's next request is the new epoch's key: a new key, and a's old
	 * one, already over, is told over again (its clones are gone). */
	CHECK(keys_use(&ks, &a, key, record_over, NULL));
	CHECK(over_was("e0#0"));
	CHECK(keys_next_epoch(&ks, record_over, NULL) == 2);
	CHECK(over_was("e1#0"));
	keys_end_all(&ks, record_over, NULL);
	CHECK(over_was("t:named#0"));
}

static void a_key_used_again_after_it_ended_is_new(void)
{
	struct keys ks = {0};
	struct key_user a;

	keys_join(&ks, &a);
	use(&ks, &a, "t:one#0");
	use(&ks, &a, "t:two#0");
	CHECK(over_was("t:one#0"));
	/* The test runs again (a rerun plugin): a fresh key, a fresh clone. */
	CHECK(keys_use(&ks, &a, "t:one#0", record_over, NULL));
	CHECK(over_was("t:two#0"));
	use(&ks, &a, "t:three#0");
	CHECK(over_was("t:one#0"));
	CHECK(!strcmp(keys_last(&ks), "t:three#0"));
	keys_leave(&ks, &a, record_over, NULL);
	keys_end_all(&ks, record_over, NULL);
	CHECK(over_was("t:three#0"));
}

/* Issue 14's rule: the setup (the epoch's key) is what test keys start
 * from, so handing them out does not end it; its epoch ending does. */
static void the_setup_lives_until_its_epoch_ends(void)
{
	struct keys ks = {0};
	struct key_user mig, t1, t2;
	char setup[KEY_MAX];

	/* A migration process writes the setup and exits... */
	keys_join(&ks, &mig);
	use(&ks, &mig, "e0#0");
	keys_setup_of(&ks, "t:one#0", setup, sizeof(setup));
	CHECK(!strcmp(setup, "e0#0"));
	keys_setup_of(&ks, "t:x#y#3", setup, sizeof(setup));
	CHECK(!strcmp(setup, "e0#3"));
	keys_leave(&ks, &mig, record_over, NULL);
	/* ...test processes come, key after key: the setup stays. */
	keys_join(&ks, &t1);
	use(&ks, &t1, "t:one#0");
	CHECK(over_was(""));
	use(&ks, &t1, "t:two#0");
	CHECK(over_was("t:one#0"));
	keys_leave(&ks, &t1, record_over, NULL);
	keys_join(&ks, &t2);
	use(&ks, &t2, "t:three#0");
	CHECK(over_was("t:two#0"));
	/* A process moving from the setup to a test key keeps it too. */
	use(&ks, &t2, "e0#0");
	CHECK(over_was("t:three#0"));
	use(&ks, &t2, "t:four#0");
	CHECK(over_was(""));
	/* A boundary signal moves a process's own epoch: its setup is over
	 * once no key of its count is current or newest. */
	use(&ks, &t2, "t:four#1");
	CHECK(over_was("t:four#0 e0#0"));
	/* dbclone next ends the new count's setup with the epoch. */
	use(&ks, &t2, "e0#1");
	CHECK(over_was("t:four#1"));
	CHECK(keys_next_epoch(&ks, record_over, NULL) == 1);
	CHECK(over_was("e0#1"));
	keys_leave(&ks, &t2, record_over, NULL);
	keys_end_all(&ks, record_over, NULL);
	over_log[0] = '\0';
}

int main(void)
{
	key_format_names_tests_and_epochs();
	long_test_names_stay_apart();
	moving_on_ends_the_old_key();
	a_key_another_process_has_stays();
	an_exit_alone_does_not_end_a_key();
	an_exit_after_a_newer_key_ends_it();
	parallel_workers_keep_their_keys();
	next_epoch_ends_epoch_keys_only();
	a_key_used_again_after_it_ended_is_new();
	the_setup_lives_until_its_epoch_ends();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
