// The toy tasks' generators and their descriptions.
#include "train/tasks.h"

#include <algorithm>

namespace ap::train {

namespace {

// The "expect" lines: steps until the fixed eval batch reaches 99% accuracy with
// default_settings(task), measured by `ap_bench_train --tasks` (native, eval
// every 10 steps; wasm follows the same curve up to rounding, see trainer.h).
const std::array<TaskInfo, kTaskCount> kTasks = {{
    {Task::Copy, "copy", "Copy",
     "L random digits x_0..x_{L-1} at positions 0..L-1, the separator | at L, then the same digits again (teacher "
     "forcing)",
     "from | on, position L+i predicts x_i, the next digit of the copy (positions count from 0)",
     "a diagonal stripe L to the left of the main diagonal: output position L+i attends to input position i",
     "about 50 steps to 99% accuracy (40-50 over seeds 1-3)"},
    {Task::Reverse, "reverse", "Reverse",
     "L random digits x_0..x_{L-1} at positions 0..L-1, the separator | at L, then the digits reversed (teacher "
     "forcing)",
     "from | on, position L+i predicts x_{L-1-i}, the next digit of the reversal (positions count from 0)",
     "an anti-diagonal: output position L+i attends to input position L-1-i",
     "about 50 steps to 99% accuracy (50 over seeds 1-3)"},
    {Task::PreviousToken, "prev", "Previous token", "L random digits",
     "every position after the first predicts the digit just before it",
     "the sub-diagonal: position i attends to position i-1", "about 90 steps to 99% accuracy (80-90 over seeds 1-3)"},
    {Task::Sort, "sort", "Sort",
     "L distinct random digits x_0..x_{L-1}, the separator | at position L, then the digits in ascending order "
     "(teacher forcing)",
     "from | on, each position predicts the next digit of the sorted list",
     "content, not position: each output position attends to the input digit just above the digit it reads",
     "100 to 250 steps to 99% accuracy (110-230 over seeds 1-3)"},
    {Task::Induction, "induction", "Induction",
     "L distinct random digits, then the same cycle again starting at a random digit (so no fixed offset works)",
     "in the second half, each position predicts the digit that followed its digit the first time",
     "layer 1: a previous-token head (sub-diagonal); layer 2: an induction head attending to the position "
     "just after the earlier copy of the current digit",
     "a plateau, then 250 to 1,200 steps to 99% accuracy (230-1,210 over seeds 1-3); one layer never gets there"},
}};

// k distinct tokens from 0..vocab-1, in random order (partial Fisher-Yates).
// Rng::next() % n has a bias of at most n / 2^64: invisible at these sizes.
void distinct(Rng& rng, int vocab, int k, int* out) {
  std::vector<int> pool(static_cast<size_t>(vocab));
  for (int i = 0; i < vocab; ++i) pool[static_cast<size_t>(i)] = i;
  for (int i = 0; i < k; ++i) {
    const int j = i + static_cast<int>(rng.next() % static_cast<uint64_t>(vocab - i));
    std::swap(pool[static_cast<size_t>(i)], pool[static_cast<size_t>(j)]);
    out[i] = pool[static_cast<size_t>(i)];
  }
}

int digit(Rng& rng, int vocab) { return static_cast<int>(rng.next() % static_cast<uint64_t>(vocab)); }

}  // namespace

const TaskInfo& task_info(Task task) { return kTasks[static_cast<size_t>(task)]; }
const std::array<TaskInfo, kTaskCount>& all_tasks() { return kTasks; }

std::optional<Task> task_from_key(std::string_view key) {
  for (const auto& t : kTasks)
    if (key == t.key) return t.task;
  return std::nullopt;
}

std::string token_label(int token, int vocab) {
  if (token == sep_token(vocab)) return "|";
  if (token < 0 || token > vocab) return "?";
  return std::to_string(token);
}

int sequence_length(Task task, int L) { return task == Task::PreviousToken ? L : 2 * L; }

int Batch::scored() const {
  return static_cast<int>(std::count_if(targets.begin(), targets.end(), [](int t) { return t >= 0; }));
}

Batch make_batch(Task task, int L, int vocab, int B, Rng& rng) {
  Batch b;
  b.B = B;
  b.T = sequence_length(task, L);
  b.tokens.assign(static_cast<size_t>(B * b.T), 0);
  b.targets.assign(static_cast<size_t>(B * b.T), -1);
  std::vector<int> x(static_cast<size_t>(L)), y(static_cast<size_t>(L));
  for (int s = 0; s < B; ++s) {
    int* tok = b.tokens.data() + s * b.T;
    int* tgt = b.targets.data() + s * b.T;
    switch (task) {
      case Task::PreviousToken:
        for (int i = 0; i < L; ++i) tok[i] = digit(rng, vocab);
        for (int i = 1; i < L; ++i) tgt[i] = tok[i - 1];
        break;
      case Task::Copy:
      case Task::Reverse:
      case Task::Sort: {
        if (task == Task::Sort) distinct(rng, vocab, L, x.data());  // distinct: "the digit just above" is then unique
        else
          for (int i = 0; i < L; ++i) x[static_cast<size_t>(i)] = digit(rng, vocab);
        y = x;
        if (task == Task::Reverse) std::reverse(y.begin(), y.end());
        if (task == Task::Sort) std::sort(y.begin(), y.end());
        for (int i = 0; i < L; ++i) tok[i] = x[static_cast<size_t>(i)];
        tok[L] = sep_token(vocab);
        for (int i = 1; i < L; ++i) tok[L + i] = y[static_cast<size_t>(i - 1)];
        for (int i = 0; i < L; ++i) tgt[L + i] = y[static_cast<size_t>(i)];
        break;
      }
      case Task::Induction: {
        // A repeat that starts at a random point r of the cycle: with a fixed
        // offset, one positional head (attend L-1 back) would solve it and no
        // induction circuit would be needed.
        distinct(rng, vocab, L, tok);
        const int r = static_cast<int>(rng.next() % static_cast<uint64_t>(L));
        for (int i = 0; i < L; ++i) tok[L + i] = tok[(r + i) % L];
        // Position t (second half) is scored when "find my digit earlier, copy
        // the one after it" gives the true next digit: not for the last digit
        // of the cycle, whose earlier copy is followed by the second half's start.
        for (int t = L; t + 1 < 2 * L; ++t)
          if (tok[t] != tok[L - 1]) tgt[t] = tok[t + 1];
        break;
      }
    }
  }
  return b;
}

}  // namespace ap::train
