// The `attn` command line: sdpa (ONNX semantics on .npy files), mha (a whole
// multi-head layer from .npy weights), check (compare two .npy files: the
// "check my homework" tool) and model (a Hugging Face GPT-2 folder on a text). A function rather than main(), so the
// doctest suite can run it natively and in wasm.
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace ap {

// args: without the program name. Returns the exit status: 0 success (for
// check: a match), 1 check found a mismatch, 2 bad usage or bad input (one
// line on err saying what is wrong).
int attn_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ap
