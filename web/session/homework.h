// "Check my homework" in the session: the learner's .npy, checked against
// the shown trace (analysis/homework.h) when it arrives and again with each
// new trace, so that changing the config re-checks it; a lesson's homework
// step reads the report. No ImGui: tested natively.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "analysis/homework.h"

namespace web {

struct Session;

struct Homework {
  std::string file;                 // the checked file's name
  std::optional<ap::Array> theirs;  // its array, kept to re-check
  std::string forced_target;        // the target asked for with the file; "" to follow homework_target()
  ap::HomeworkReport report;        // against the shown trace
  uint64_t checked = ~0ull;         // the trace generation `report` is for
  std::string checked_target;       // and the target it was checked against ("" by shape)
  std::string error;                // why the last file could not be read ("" when it could)
  uint64_t arrivals = 0;            // bumps with each file given, read or not: the page shows its report then
};

// Reads an .npy's bytes and checks them against `target` (a homework_targets()
// name; "" for the open lesson's homework step's, else by shape). A file that
// cannot be read keeps what was held and says why in Homework::error.
// Returns "" or that reason.
std::string check_homework_file(Session& s, const std::string& name, const std::string& bytes,
                                const std::string& target = "");
// Re-checks the held array against a new trace, once its outputs are computed.
void update_homework(Session& s);
// The target a check uses now: the open lesson step's, or "" (by shape).
std::string homework_target(const Session& s);
// {file, target, shape, expectedShape, correct, mistake, verdict, details, maxAbs, maxRel, mismatches,
// firstMismatch, error}; {file: null} before any.
nlohmann::json homework_json(const Session& s);
// The .npz of the inputs a homework starts from: what the PyTorch export holds, without the page's results.
std::string homework_inputs_npz(const Session& s);

}  // namespace web
