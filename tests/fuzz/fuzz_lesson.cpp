// libFuzzer target: the lesson parser (a teacher's file, a link's lesson) and
// the checks of what it accepts, run against a small trace: a parsed lesson
// never makes a check read outside the trace, whatever its rows, columns,
// heads and measures say.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "analysis/analysis.h"
#include "layer/attention.h"
#include "lesson/check.h"
#include "lesson/lesson.h"
#include "small_layer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ap::lesson::Parsed p = ap::lesson::parse_lesson(text);
  if (p.lesson.has_value() == !p.error.empty()) __builtin_trap();  // a lesson or a reason, never both
  if (!p.lesson) return 0;
  const ap::Config& config = small_layer();
  static const ap::Trace trace = ap::run(config, ap::make_inputs(config));
  static const ap::HeadAnalysis heads = ap::analyse_heads(trace);
  for (int shown : {0, 1}) {
    const ap::lesson::Live live{config, trace, &heads, shown, nullptr};
    for (const ap::lesson::Step& s : p.lesson->steps) {
      ap::lesson::evaluate(s.check, live);
      for (const nlohmann::json& answer : {nlohmann::json(0), nlohmann::json(1.5), nlohmann::json("(1, 2, 3, 4)"),
                                           nlohmann::json{2, 0}, nlohmann::json{-1, 7}, nlohmann::json(nullptr)})
        ap::lesson::evaluate_answer(s, live, answer);
    }
  }
  return 0;
}
