// Work cut into pieces of bounded cost, so that the page can spread a large
// forward pass over many frames (a slice per frame) and the CLI and tests can
// run the very same pieces at once. A piece may plan more pieces: they run
// right after it, in the order it adds them.
#pragma once
#include <algorithm>
#include <functional>
#include <vector>

#include "base/tensor.h"

namespace ap {

class Plan {
 public:
  // `cost`: a rough amount of work (about a nanosecond each in wasm), for progress().
  void add(double cost, std::function<void()> piece);
  bool done() const { return next_ >= pieces_.size(); }
  // Runs pieces until `budget_ms` has passed (always at least one). Returns done().
  bool advance(double budget_ms);
  void finish() {
    while (!done()) advance(1e300);
  }
  double total() const { return total_; }
  double longest_piece_ms() const { return longest_ms_; }  // the slowest piece run by a timed advance()
  // The share of the known work done, 0..1.
  double progress() const { return total_ > 0 ? done_cost_ / total_ : 1.0; }

 private:
  struct Piece {
    double cost;
    std::function<void()> run;
  };
  std::vector<Piece> pieces_;
  size_t next_ = 0;    // the next piece to run
  size_t insert_ = 0;  // while a piece runs: where the pieces it adds go
  bool running_ = false;
  double total_ = 0, done_cost_ = 0;
  double longest_ms_ = 0;
  double parent_left_ = 0;  // while a piece runs: its declared cost not yet handed to pieces it added
};

// Pieces of about this cost keep a slice short (a few ms in wasm).
inline constexpr double kPieceCost = 2e6;
// A float copied into memory not touched before (page faults included).
inline constexpr double kCopyCost = 4;
// A multiply-add, and an element of a score row's steps or of the mask's
// bias. Fitted so that a unit is about 0.6 ns in wasm under Node for the
// projections, the weights and the outputs alike, at 64 to 1024 tokens of
// (768, 12 heads); a causal mask makes the last two cheaper. They also set
// where products are cut into row slices, which Eigen's rounding can tell
// apart, so a model that must match the layer bit for bit slices with them.
inline constexpr double kFlopCost = 0.05, kCellCost = 5;

// Calls f(r0, r1) for consecutive ranges of [0, n) costing about kPieceCost
// each at `cost_per_item` (at least one item per range).
template <typename F>
void for_ranges(int n, double cost_per_item, F&& f) {
  const int step = std::max(1, int(kPieceCost / std::max(cost_per_item, 1.0)));
  for (int r0 = 0; r0 < n; r0 += step) f(r0, std::min(n, r0 + step));
}

// dst = src.middleRows(first, rows), a slice of rows per piece (large copies
// hold a frame too). src must have its size already (its values may come
// from earlier pieces); src and dst must outlive the pieces.
void plan_copy_rows(Plan& plan, const Mat& src, int first, int rows, Mat& dst);

}  // namespace ap
