// The homework check in the session: see homework.h.
#include "session/homework.h"

#include "io/npz.h"
#include "session/session.h"

namespace web {

using nlohmann::json;

std::string homework_target(const Session& s) {
  const ap::lesson::Step* step = open_step(s);
  return step && step->check.kind == ap::lesson::CheckKind::Homework ? step->check.tensor : "";
}

std::string check_homework_file(Session& s, const std::string& name, const std::string& bytes,
                                const std::string& target) {
  Homework& h = s.homework;
  auto parsed = ap::parse_npy(bytes);
  if (auto* e = std::get_if<std::string>(&parsed)) {
    h.error = name + ": " + *e;
    ++h.arrivals;
    return h.error;
  }
  if (!target.empty() && !ap::is_homework_target(target)) {
    h.error = "there is no homework called " + target + ": it can be ";
    for (const ap::HomeworkTarget& t : ap::homework_targets())
      h.error += std::string(&t == &ap::homework_targets()[0] ? "" : ", ") + t.name;
    ++h.arrivals;
    return h.error;
  }
  h.error.clear();
  h.file = name;
  h.theirs = std::get<ap::Array>(std::move(parsed));
  h.forced_target = target;
  h.checked = ~0ull;
  ++h.arrivals;
  update_homework(s);
  return "";
}

void update_homework(Session& s) {
  Homework& h = s.homework;
  if (!h.theirs || !s.trace.outputs_ready) return;
  const std::string target = h.forced_target.empty() ? homework_target(s) : h.forced_target;
  if (h.checked == s.generation && h.checked_target == target) return;
  h.report = ap::check_homework(s.config, s.inputs, s.trace, *h.theirs, target);
  h.checked = s.generation;
  h.checked_target = target;
  s.lessons.checked = ~0ull;  // a homework step reads the new report
}

json homework_json(const Session& s) {
  const Homework& h = s.homework;
  json j = {{"file", h.theirs ? json(h.file) : json(nullptr)}, {"error", h.error}};
  if (!h.theirs) return j;
  const ap::HomeworkReport& r = h.report;
  j["checked"] = h.checked == s.generation;
  j["target"] = r.target;
  j["shape"] = r.shape;
  j["expectedShape"] = r.expected_shape;
  j["compared"] = r.compared;
  j["correct"] = r.correct;
  j["mistake"] = r.mistake;
  j["verdict"] = r.verdict;
  j["details"] = r.details;
  if (r.compared) {
    j["maxAbs"] = r.comparison.max_abs;
    j["maxRel"] = r.comparison.max_rel;
    j["mismatches"] = r.comparison.mismatches;
    j["firstMismatch"] = r.comparison.first_mismatch;
  }
  return j;
}

std::string homework_inputs_npz(const Session& s) {
  std::vector<std::pair<std::string, ap::Array>> arrays;
  for (auto& [name, a] : ap::export_arrays(s.inputs, s.trace))
    if (name.rfind("expected_", 0) != 0) arrays.emplace_back(name, std::move(a));
  return ap::npz_bytes(arrays);
}

}  // namespace web
