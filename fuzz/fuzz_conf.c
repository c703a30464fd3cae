/* fuzz_conf.c - libFuzzer target for the configuration loader.
 *
 * Each input is a whole INI file: written to DIR/f.ini in an empty private
 * folder (made once, the process chdirs into it) and loaded with conf_load();
 * a loaded model is then dumped, so the code that walks it runs too.
 *
 * [include] must not wander off into the machine (a FIFO or /dev/zero named
 * by an absolute pattern would hang the run, and the run must not depend on
 * what /tmp holds): an input with an "[include" header together with a '/'
 * or a '%' (%(here)s expands to a path) is skipped, so every pattern is
 * relative and matches only inside the empty folder. The environment is
 * cleared so that %(ENV_X)s gives the same result on every machine.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[128];
static FILE *sink;

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz_conf: %s: %s\n", what, strerror(errno));
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* tmpfs when there is one: on ext4 every rewrite of the file costs a
     * journal flush (auto_da_alloc), which slowed the run fivefold. */
    char tmpl[64] = "/dev/shm/tend-fuzz-conf-XXXXXX";
    if (!mkdtemp(tmpl)) {
        snprintf(tmpl, sizeof tmpl, "/tmp/tend-fuzz-conf-XXXXXX");
        if (!mkdtemp(tmpl))
            die("mkdtemp");
    }
    if (chdir(tmpl) < 0)
        die("chdir");
    snprintf(dir, sizeof dir, "%s", tmpl);
    snprintf(path, sizeof path, "%s/f.ini", tmpl);
    atexit(cleanup);
    sink = fopen("/dev/null", "we");
    if (!sink)
        die("/dev/null");
    clearenv();
    setenv("PATH", "/usr/bin:/bin", 1);
    setenv("HOME", "/nonexistent", 1);
    return 0;
}

/* Does the input hold '[', blanks, "include": a possible [include] header? */
static bool has_include(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i] != '[')
            continue;
        size_t j = i + 1;
        while (j < n && isspace(d[j]))
            j++;
        if (n - j >= 7 && memcmp(d + j, "include", 7) == 0)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (has_include(data, size) && (memchr(data, '/', size) || memchr(data, '%', size)))
        return -1;  /* keep it out of the corpus */

    if (unlink(path) < 0 && errno != ENOENT)
        die("unlink");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        die("open");
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            die("write");
        off += (size_t)w;
    }
    if (close(fd) < 0)
        die("close");

    struct conf_diags d = { 0 };
    struct tend_config *c = conf_load(path, &d);
    conf_diags_print(&d, sink);
    if (c) {
        if (d.nerrors)
            abort();  /* a model must come with no error */
        conf_summary(c, sink);
        conf_dump(c, sink);
        conf_free(c);
    } else if (!d.nerrors) {
        abort();      /* a failed load must say why */
    }
    conf_diags_free(&d);
    return 0;
}
