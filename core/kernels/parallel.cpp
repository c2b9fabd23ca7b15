// The pool behind parallel_for: see parallel.h. One loop at a time; its tasks
// are claimed from one counter that also carries the loop's number, so a
// helper that wakes late can never claim a task of a later loop with an
// earlier loop's function. The caller claims tasks too and then waits for the
// last one by spinning: the browser's main thread may not sleep, and a loop's
// tasks take a millisecond or two.
#include "kernels/parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>

// Emscripten without -pthread has no threads (std::thread would fail at run time).
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define AP_NO_THREADS 1
#else
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace ap {
namespace {

double g_min_cost = kParallelCost;

#if defined(AP_NO_THREADS)
int g_threads = 1;
#else
constexpr int kMaxThreads = 16;
// True on a thread while it runs a task: a loop inside a task runs inline.
thread_local bool t_in_task = false;

class Pool {
 public:
  ~Pool() { resize(0); }

  // Under busy_ (or at exit): joins the helpers and starts `helpers` new ones.
  void resize(int helpers) {
    if (helpers == int(workers_.size())) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_ = false;
    // A new helper starts at the current loop: it never looks at one that is over.
    for (int i = 0; i < helpers; ++i) workers_.emplace_back([this, now = loop_] { work(now); });
  }

  // False when another thread's loop holds the pool (the caller then runs inline).
  bool run(int helpers, int n, const std::function<void(int)>& task) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    resize(helpers);
    uint64_t loop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      loop = ++loop_;
      task_ = &task;
      n_ = n;
      done_.store(0, std::memory_order_relaxed);
      next_.store(loop << 32, std::memory_order_release);
      posted_.store(loop, std::memory_order_release);
    }
    wake_.notify_all();
    claim(loop, n, task);
    while (done_.load(std::memory_order_acquire) < n) std::this_thread::yield();
    return true;
  }

 private:
  // Runs tasks of loop `loop` until none is left to claim.
  void claim(uint64_t loop, int n, const std::function<void(int)>& task) {
    t_in_task = true;
    for (;;) {
      uint64_t v = next_.load(std::memory_order_acquire);
      if ((v >> 32) != loop || int(v & 0xffffffffu) >= n) break;
      if (!next_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) continue;
      task(int(v & 0xffffffffu));
      done_.fetch_add(1, std::memory_order_release);
    }
    t_in_task = false;
  }

  void work(uint64_t seen) {
    for (;;) {
      // A forward runs hundreds of loops a few hundred microseconds apart:
      // spinning a moment before sleeping saves the wake-up (tens of
      // microseconds in a browser) on all but the first.
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 1; posted_.load(std::memory_order_acquire) == seen && !stop_; ++i)
        if (i % 256 == 0 && std::chrono::steady_clock::now() - t0 > kSpin) break;
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || loop_ != seen; });
      if (stop_) return;
      seen = loop_;
      const std::function<void(int)>* task = task_;
      const int n = n_;
      lock.unlock();
      // The loop may be over already: claim() then finds nothing and never calls task.
      claim(seen, n, *task);
    }
  }

  std::mutex busy_;   // held by the thread whose loop runs
  std::mutex mutex_;  // guards the fields below and the wake-up
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
  uint64_t loop_ = 0;
  const std::function<void(int)>* task_ = nullptr;
  int n_ = 0;
  std::atomic<uint64_t> next_{0};    // the loop's number << 32 | the next task
  std::atomic<int> done_{0};         // tasks of the loop finished
  std::atomic<uint64_t> posted_{0};  // loop_, for the helpers to spin on
  static constexpr std::chrono::microseconds kSpin{100};
};

Pool& pool() {
  static Pool p;
  return p;
}

int default_threads() {
#if defined(__EMSCRIPTEN__)
  return 1;  // the page says how many workers it has (set_threads)
#else
  return std::clamp(int(std::thread::hardware_concurrency()), 1, 8);
#endif
}
int g_threads = default_threads();
#endif

}  // namespace

int max_threads() {
#if defined(AP_NO_THREADS)
  return 1;
#else
  return kMaxThreads;
#endif
}

int threads() { return g_threads; }

void set_threads(int n) { g_threads = std::clamp(n, 1, max_threads()); }

void set_parallel_min_cost(double cost) { g_min_cost = cost; }

void parallel_for(int n, double cost, const std::function<void(int)>& task) {
#if !defined(AP_NO_THREADS)
  if (n > 1 && g_threads > 1 && cost >= g_min_cost && !t_in_task) {
    if (pool().run(g_threads - 1, n, task)) return;
  }
#else
  (void)cost;
#endif
  for (int i = 0; i < n; ++i) task(i);
}

int task_count(int items, double cost_per_item) {
  if (items <= 0) return 0;
  const double tasks = std::floor(double(items) * std::max(cost_per_item, 0.0) / kTaskCost);
  return int(std::clamp(tasks, 1.0, double(items)));
}

void parallel_ranges(int items, double cost_per_item, int align, const std::function<void(int, int)>& f) {
  if (items <= 0) return;
  const int blocks = (items + align - 1) / align;
  const int tasks = task_count(blocks, cost_per_item * align);
  const int per = (blocks + tasks - 1) / tasks;  // blocks per task
  const int used = (blocks + per - 1) / per;
  parallel_for(used, double(items) * cost_per_item,
               [&](int i) { f(i * per * align, std::min(items, (i + 1) * per * align)); });
}

}  // namespace ap
