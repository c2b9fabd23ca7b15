// Multi-head attention, the way nn.MultiheadAttention computes it:
// project -> split -> transpose -> attend -> concat -> project,
// keeping every intermediate in a Trace. Self- or cross-attention, with
// grouped-query heads, a KV cache and every mask of the Config.
#pragma once
#include "config/config.h"
#include "kernels/plan.h"
#include "layer/inputs.h"
#include "layer/trace.h"

namespace ap {

// Precondition: validate(cfg) is empty and `in` came from make_inputs(cfg).
Trace run(const Config& cfg, const Inputs& in);

// The two halves of run(), so that an edit that leaves the projections alone
// (masks, scale, temperature, softcap, dropout, policy) redoes only the second:
// project() fills the token vectors, Q/K/V and their split into heads;
// attend_all() the bias, every head's steps, the concat and the output.
void project(const Config& cfg, const Inputs& in, Trace& t);
void attend_all(const Config& cfg, const Inputs& in, Trace& t);
// The same as pieces of a plan (plan.h), for a caller that spreads a large
// config over frames; cfg, in, t and plan must outlive the pieces. project()
// runs plan_projections(); attend_all() plan_weights() then plan_outputs().
// The attention is in two parts so that the page can show new weights before
// weights·V and the output projection, about two thirds of an
// attention-only edit's work, are done: plan_weights() fills the bias and
// every head's steps up to its (dropped) weights and clears
// t.outputs_ready; plan_outputs() fills the context, concat and output and
// sets it.
void plan_projections(const Config& cfg, const Inputs& in, Trace& t, Plan& plan);
void plan_weights(const Config& cfg, const Inputs& in, Trace& t, Plan& plan);
void plan_outputs(const Config& cfg, const Inputs& in, Trace& t, Plan& plan);
// Whether two valid configs give the same inputs and projections.
bool same_projections(const Config& a, const Config& b);

}  // namespace ap
