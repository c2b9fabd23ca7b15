// Loops shared among threads: std::thread natively, wasm pthreads in the
// page's threaded build (a build without threads runs every loop inline).
// A loop is cut into tasks by its own sizes alone, never by the number of
// threads, and each task writes only its own outputs, so every result has
// the same bits on 1 thread or 16; threads only change who runs a task.
#pragma once
#include <functional>

namespace ap {

// The most threads set_threads() accepts: 1 in a build without threads.
int max_threads();
// Threads that share a loop, the caller included (1: every loop runs inline).
int threads();
// Clamped to [1, max_threads()]; the helpers start (or stop) at the next
// shared loop. In the browser's threaded build n must not exceed the workers
// Emscripten created before main (its pthread pool): a thread started later
// would wait for the main thread to return to the browser.
void set_threads(int n);

// A loop whose whole cost (plan.h's units) is below this runs inline: waking
// the helpers costs tens of microseconds, more than a small layer's work.
inline constexpr double kParallelCost = 1e5;
// Tests lower it to 0 so that small shapes are shared too.
void set_parallel_min_cost(double cost);

// Calls task(i) for every i in [0, n), on the pool when `cost` (the loop's
// whole cost) is worth it, else in order on the calling thread. A loop inside
// a task, or one started while another thread's loop runs, runs inline.
void parallel_for(int n, double cost, const std::function<void(int)>& task);

// How many tasks a loop over `items` gets when each task should cost about
// kTaskCost: from the sizes only, so the bits do not depend on the threads.
inline constexpr double kTaskCost = 4e4;
int task_count(int items, double cost_per_item);

// Calls f(i0, i1) for consecutive ranges of [0, items) in parallel: items
// cut into task_count() ranges, each a whole multiple of `align` (a kernel's
// block height, so that blocks are the same as in one range).
void parallel_ranges(int items, double cost_per_item, int align, const std::function<void(int, int)>& f);

}  // namespace ap
