/* Test keys (backends/keys.c) of any content and length: a test and its
 * short form (what a request carries) are one key; and the key table,
 * driven by the input, ends every key it is asked to. */
#include "fuzz.h"
#include "keys.h"

static void over(const char *key, void *ctx)
{
	(void)key;
	(*(int *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *test = fuzz_string(data, size), k1[KEY_MAX], k2[KEY_MAX];
	char short_test[KEY_TEST_MAX];
	struct key_user a = {.key = ""}, b = {.key = ""};
	struct keys ks = {0};
	int ended = 0;

	key_format(k1, sizeof(k1), test, test, (unsigned)size);
	key_test_name(test, short_test, sizeof(short_test));
	key_format(k2, sizeof(k2), short_test, test, (unsigned)size);
	FUZZ_ASSERT(!strcmp(k1, k2));
	keys_join(&ks, &a);
	keys_join(&ks, &b);
	/* Each input byte: which process, and which of a few keys. */
	for (size_t i = 0; i < size && i < 64; i++) {
		char key[8];

		snprintf(key, sizeof(key), "t:%u", (unsigned)(data[i] & 7));
		if (data[i] & 0x40)
			keys_next_epoch(&ks, over, &ended);
		else
			keys_use(&ks, data[i] & 0x80 ? &a : &b, key, over, &ended);
	}
	keys_leave(&ks, &b, over, &ended);
	keys_end_all(&ks, over, &ended);
	FUZZ_ASSERT(keys_last(&ks) == NULL);
	free(test);
	return 0;
}
