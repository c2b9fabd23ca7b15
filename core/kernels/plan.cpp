// See plan.h.
#include "kernels/plan.h"

#include <algorithm>
#include <chrono>

namespace ap {

void Plan::add(double cost, std::function<void()> piece) {
  if (running_) {
    // Part of the running piece's declared cost; only an underestimate grows the total.
    parent_left_ -= cost;
    if (parent_left_ < 0) total_ -= parent_left_, parent_left_ = 0;
    pieces_.insert(pieces_.begin() + ptrdiff_t(insert_++), Piece{cost, std::move(piece)});
  } else {
    total_ += cost;
    pieces_.push_back(Piece{cost, std::move(piece)});
  }
}

bool Plan::advance(double budget_ms) {
  using Clock = std::chrono::steady_clock;
  // Reading the clock is a call into JavaScript in wasm: finish() does without.
  const bool timed = budget_ms < 1e300;
  const auto now = [&] { return timed ? Clock::now() : Clock::time_point{}; };
  const auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  const auto t0 = now();
  do {
    const auto t_piece = now();
    // Move the piece out first: pieces it adds may reallocate the list.
    Piece p = std::move(pieces_[next_]);
    ++next_;
    insert_ = next_;
    running_ = true;
    parent_left_ = p.cost;
    p.run();
    running_ = false;
    done_cost_ += parent_left_;
    if (timed) longest_ms_ = std::max(longest_ms_, ms_since(t_piece));
  } while (!done() && (!timed || ms_since(t0) < budget_ms));
  return done();
}

void plan_copy_rows(Plan& plan, const Mat& src, int first, int rows, Mat& dst) {
  plan.add(double(rows) * double(src.cols()) * kCopyCost, [&plan, &src, &dst, first, rows] {
    dst.resize(rows, src.cols());
    for_ranges(rows, double(src.cols()) * kCopyCost, [&](int r0, int r1) {
      plan.add((r1 - r0) * double(src.cols()) * kCopyCost,
               [&src, &dst, first, r0, r1] { dst.middleRows(r0, r1 - r0) = src.middleRows(first + r0, r1 - r0); });
    });
  });
}

}  // namespace ap
