// See plan.h.
#include "plan.h"

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
  const auto t0 = Clock::now();
  do {
    // Move the piece out first: pieces it adds may reallocate the list.
    Piece p = std::move(pieces_[next_]);
    ++next_;
    insert_ = next_;
    running_ = true;
    parent_left_ = p.cost;
    p.run();
    running_ = false;
    done_cost_ += parent_left_;
  } while (!done() && std::chrono::duration<double, std::milli>(Clock::now() - t0).count() < budget_ms);
  return done();
}

}  // namespace ap
