/* test_pool.c - the blocks traced and intercepted asynchronous calls keep
 * while in flight (runtime/src/ops/pool.c): a block handed back is taken
 * again, and a thread that ends hands the block it kept to the pool rather
 * than losing it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ops/pool.h"

static ferryi_pool pool = FERRYI_POOL_INIT(64, 8);

/* A block handed back on a thread is the one that thread takes next. */
static void test_block_taken_again(void **state)
{
    (void)state;
    void *b = ferryi_pool_get(&pool);
    assert_non_null(b);
    ferryi_pool_put(&pool, b);
    assert_ptr_equal(ferryi_pool_get(&pool), b);
    ferryi_pool_put(&pool, b);
}

static void *take_and_keep(void *arg)
{
    void **out = arg;
    *out = ferryi_pool_get(&pool);
    ferryi_pool_put(&pool, *out); /* kept by this thread */
    return NULL;
}

/* A block a thread kept goes back to the pool when the thread ends: another
 * thread takes that very block, where it would get a new one had the block
 * been lost with the thread. */
static void test_ended_thread_hands_its_block_back(void **state)
{
    (void)state;
    void *mine = ferryi_pool_get(&pool); /* so this thread keeps none */
    void *theirs = NULL;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, take_and_keep, &theirs), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_non_null(theirs);
    assert_ptr_equal(ferryi_pool_get(&pool), theirs);
    ferryi_pool_put(&pool, theirs);
    ferryi_pool_put(&pool, mine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_taken_again),
        cmocka_unit_test(test_ended_thread_hands_its_block_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
