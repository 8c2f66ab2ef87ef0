/* replay_main.c - the main() of every fuzz target built without libFuzzer:
 * runs the target's LLVMFuzzerTestOneInput() on each file named on the
 * command line (its first MiB), which is how ctest replays the seed corpora.
 * With FERRY_FUZZ=ON libFuzzer brings its own main() and this file is not
 * linked. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    const char *name = slash != NULL ? slash + 1 : argv[0];
    static uint8_t buf[1 << 20];
    for (int i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (fp == NULL) {
            fprintf(stderr, "%s: cannot open %s\n", name, argv[i]);
            return 1;
        }
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("%s: replayed %d inputs\n", name, argc - 1);
    return 0;
}
