// Toy sequence tasks for the "train attention in the tab" lab: each one is
// generated from a seeded Rng (rng.h), so a batch is the same on every run,
// and each has a head pattern that solves it, described for the learner.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.h"

namespace ap::train {

enum class Task { Copy, Reverse, PreviousToken, Sort, Induction };
inline constexpr int kTaskCount = 5;

// What the page tells a learner about a task. Every field is one line of text.
struct TaskInfo {
  Task task;
  const char* key;       // stable, for URLs and the JS API: "copy", "reverse", "prev", "sort", "induction"
  const char* name;      // "Reverse"
  const char* input;     // what the sequence holds
  const char* target;    // what is predicted, and where
  const char* solution;  // the attention pattern of a head that solves it
  const char* expect;    // measured: steps to high accuracy with default_settings(task) (settings.h)
};

const TaskInfo& task_info(Task task);
const std::array<TaskInfo, kTaskCount>& all_tasks();  // in enum order
std::optional<Task> task_from_key(std::string_view key);

// Tokens: 0 .. vocab-1 are content (labelled "0", "1", ...); vocab is the
// separator SEP (labelled "|"). The model reads and predicts vocab + 1 tokens
// for every task, so switching tasks never changes the embedding's shape.
inline int model_vocab(int vocab) { return vocab + 1; }
inline int sep_token(int vocab) { return vocab; }
std::string token_label(int token, int vocab);

// T, the sequence length the model sees for content length L:
//   copy, reverse, sort:  x1..xL SEP y1..y_{L-1}                 T = 2L
//   previous token:       x1..xL                                  T = L
//   induction:            x1..xL then the same L tokens again,
//                         starting at a random point of the cycle T = 2L
int sequence_length(Task task, int L);

// B sequences of T tokens. targets[i] is the token the model must predict at
// position i (row-major: sequence b, position t at b*T + t), or -1 where the
// position is not scored; the loss and accuracy use scored positions only.
struct Batch {
  int B = 0, T = 0;
  std::vector<int> tokens;   // [B x T]
  std::vector<int> targets;  // [B x T], -1 = not scored
  int scored() const;        // how many targets are >= 0
};

// Precondition: the settings these come from pass validate() (settings.h):
// 2 <= L, 2 <= vocab, and vocab >= L for sort and induction (distinct tokens).
Batch make_batch(Task task, int L, int vocab, int B, Rng& rng);

}  // namespace ap::train
