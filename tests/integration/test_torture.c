/* test_torture.c - a bounded run of the randomized torture test
 * (tests/torture/torture.c) inside `make check`: 60 s by default
 * (TORTURE_SECS, TORTURE_STEPS and TORTURE_SEED are honoured), printing the
 * seed first. `make torture` runs the same code for 10 minutes.
 */
#define TORTURE_DEFAULT_SECS 60
#include "tests/torture/torture.c"
