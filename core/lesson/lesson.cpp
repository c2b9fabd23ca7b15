// The lesson format's strict parser: see lesson.h.
#include "lesson/lesson.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/homework.h"
#include "base/json_nesting.h"
#include "config/fields.h"
#include "config/json.h"
#include "layer/trace.h"

namespace ap::lesson {

const std::vector<MeasureInfo>& measures() {
  //                                  name            cell  head   any    in words
  static const std::vector<MeasureInfo> table = {
      {Measure::Weight, "weight", true, true, false, "the weight"},
      {Measure::Score, "score", true, true, false, "the score q·k"},
      {Measure::ScaledScore, "scaled_score", true, true, false, "the scaled score"},
      {Measure::Entropy, "entropy", false, true, false, "the head's entropy"},
      {Measure::LargestWeight, "largest_weight", false, true, true, "the largest weight"},
      {Measure::RowMaxWeight, "row_max_weight", false, true, true, "the mean of each row's largest weight"},
      {Measure::PadKeyWeight, "pad_key_weight", false, false, false, "the largest weight on a [PAD] key"},
      {Measure::FullyMaskedRows, "fully_masked_rows", false, false, false, "the number of fully masked rows"},
      {Measure::NanWeights, "nan_weights", false, false, false, "the number of NaN weights"},
      {Measure::DropoutScale, "dropout_scale", false, false, false, "what dropout multiplies a kept weight by"},
      {Measure::DHead, "d_head", false, false, false, "d_head"},
      {Measure::NQ, "n_q", false, false, false, "the number of queries"},
      {Measure::ScoreBytes, "score_bytes", false, false, false, "the memory of the scores"},
      {Measure::Behaviour, "behaviour", false, true, false, "the head's behaviour score"},
  };
  return table;
}

const MeasureInfo& info(Measure m) {
  for (const MeasureInfo& i : measures())
    if (i.of == m) return i;
  return measures().front();
}

std::string measures_markdown() {
  std::string md = "| `of` | with | the number |\n| --- | --- | --- |\n";
  for (const MeasureInfo& m : measures()) {
    std::string with = m.cell       ? "`row`, `col` (an index or a token's text), `head` (none: the one shown)"
                       : m.per_head ? (m.any_head ? "`head` (-1 or none: every head)" : "`head`")
                                    : "";
    if (m.of == Measure::ScoreBytes) with = "`times` (the lengths multiplied by it, 1 to 16)";
    if (m.of == Measure::Behaviour) {
      with += ", `behaviour`:";
      for (const BehaviourInfo& b : behaviours()) with += std::string(" `") + b.key + "`";
    }
    if (with.empty()) with = "nothing";
    md += std::string("| `") + m.name + "` | " + with + " | " + m.what + " |\n";
  }
  return md;
}

namespace {

using nlohmann::json;

// Reads one lesson, stopping at the first error, which names the field's path.
struct Reader {
  const std::vector<std::string>& panels;
  std::string error;

  bool fail(const std::string& path, const std::string& why) {
    if (error.empty()) error = path + ": " + why;
    return false;
  }
  static std::string at(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  // An object whose keys are all among `known`.
  bool object(const json& j, const std::string& path, std::initializer_list<const char*> known) {
    if (!j.is_object()) return fail(path, std::string("must be an object, not ") + json_type_name(j));
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string key = it.key();  // (clang 14 cannot capture a structured binding)
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
        std::string list;
        for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        return fail(at(path, key), "unknown field (known here: " + list + ")");
      }
    }
    return true;
  }
  bool text(const json& j, const char* key, const std::string& path, std::string& out, size_t max, bool required) {
    if (!j.contains(key)) return required ? fail(at(path, key), "is required") : true;
    const json& v = j[key];
    if (!v.is_string()) return fail(at(path, key), std::string("must be a string, not ") + json_type_name(v));
    out = v.get<std::string>();
    if (out.size() > max) return fail(at(path, key), "is longer than " + std::to_string(max) + " bytes");
    if (required && out.empty()) return fail(at(path, key), "must not be empty");
    return true;
  }
  bool integer(const json& v, const std::string& path, int lo, int hi, int& out) {
    if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
      return fail(path, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = int(v.get<long long>());
    return true;
  }
  bool number(const json& v, const std::string& path, double& out) {
    if (!v.is_number() || !std::isfinite(v.get<double>())) return fail(path, "must be a finite number");
    out = v.get<double>();
    return true;
  }

  bool state(const json& j, const std::string& path, State& out, bool over_defaults) {
    if (!object(j, path, {"config", "panel", "head"})) return false;
    if (j.contains("config")) {
      const json& c = j["config"];
      if (!c.is_object()) return fail(at(path, "config"), std::string("must be an object, not ") + json_type_name(c));
      const ConfigUpdate up = apply_config_json(Config{}, c.dump(), over_defaults);
      if (!up.ok()) return fail(at(path, "config"), up.errors.front());
      out.config = c.dump();
    }
    if (!text(j, "panel", path, out.panel, 40, false)) return false;
    if (!out.panel.empty() && !panels.empty() && std::find(panels.begin(), panels.end(), out.panel) == panels.end())
      return fail(at(path, "panel"), "no panel is called \"" + out.panel + "\"");
    if (j.contains("head") && !integer(j["head"], at(path, "head"), 0, ap::Limits::max_heads - 1, out.head))
      return false;
    return true;
  }

  // A row or column: an index, or a token's text.
  bool cell_axis(const json& j, const char* key, const std::string& path, int& index, std::string& token) {
    if (!j.contains(key)) return fail(at(path, key), "is required for this measure");
    const json& v = j[key];
    if (v.is_string()) return text(j, key, path, token, 200, true);
    return integer(v, at(path, key), 0, ap::Limits::max_tokens - 1, index);
  }

  bool quantity(const json& j, const std::string& path, Quantity& q, bool head_from_pick = false) {
    if (!object(j, path, {"of", "head", "row", "col", "times", "behaviour"})) return false;
    std::string name;
    if (!text(j, "of", path, name, 40, true)) return false;
    const MeasureInfo* m = nullptr;
    for (const MeasureInfo& i : measures())
      if (name == i.name) m = &i;
    if (!m) {
      std::string list;
      for (const MeasureInfo& i : measures()) list += (list.empty() ? "" : ", ") + std::string(i.name);
      return fail(at(path, "of"), "no measure is called \"" + name + "\" (known: " + list + ")");
    }
    q.of = m->of;
    if (j.contains("head")) {
      if (!m->per_head) return fail(at(path, "head"), std::string("does not apply to ") + m->name);
      if (head_from_pick) return fail(at(path, "head"), "is the learner's pick here");
      if (!integer(j["head"], at(path, "head"), m->any_head ? -1 : 0, ap::Limits::max_heads - 1, q.head)) return false;
    } else if (m->per_head && !m->cell && !m->any_head && !head_from_pick) {
      return fail(at(path, "head"), std::string("is required for ") + m->name);
    }
    if (m->cell) {
      if (!cell_axis(j, "row", path, q.row, q.row_token) || !cell_axis(j, "col", path, q.col, q.col_token))
        return false;
    } else {
      for (const char* k : {"row", "col"})
        if (j.contains(k)) return fail(at(path, k), std::string("does not apply to ") + m->name);
    }
    if (j.contains("times")) {
      if (q.of != Measure::ScoreBytes) return fail(at(path, "times"), "applies to score_bytes only");
      if (!integer(j["times"], at(path, "times"), 1, 16, q.times)) return false;
    }
    if (q.of == Measure::Behaviour) {
      std::string b;
      if (!text(j, "behaviour", path, b, 40, true)) return false;
      bool found = false;
      for (const BehaviourInfo& i : behaviours())
        if (b == i.key) q.behaviour = i.kind, found = true;
      if (!found) return fail(at(path, "behaviour"), "no behaviour is called \"" + b + "\"");
    } else if (j.contains("behaviour")) {
      return fail(at(path, "behaviour"), "applies to the behaviour measure only");
    }
    return true;
  }

  bool bounds(const json& j, const std::string& path, Bounds& b) {
    if (j.contains("at_least") && !number(j["at_least"], at(path, "at_least"), b.at_least.emplace())) return false;
    if (j.contains("at_most") && !number(j["at_most"], at(path, "at_most"), b.at_most.emplace())) return false;
    if (!b.at_least && !b.at_most) return fail(path, "needs at_least or at_most");
    if (b.at_least && b.at_most && *b.at_least > *b.at_most) return fail(path, "at_least is above at_most");
    return true;
  }

  bool check(const json& j, const std::string& path, Check& c) {
    if (!j.is_object()) return fail(path, std::string("must be an object, not ") + json_type_name(j));
    if (j.contains("config")) {
      if (!object(j, path, {"config"})) return false;
      c.kind = CheckKind::Config;
      const std::string cp = at(path, "config");
      const json& fields = j["config"];
      if (!fields.is_object() || fields.empty()) return fail(cp, "must be an object of config fields");
      for (const auto& [name, value] : fields.items()) {
        const Field* f = find_field(name);
        if (!f) return fail(at(cp, name), "no config field is called that");
        FieldCondition fc{name, {}};
        if (value.is_object()) {
          if (f->kind != FieldKind::Int && f->kind != FieldKind::Number)
            return fail(at(cp, name), "bounds apply to number fields only");
          if (!object(value, at(cp, name), {"at_least", "at_most"}) || !bounds(value, at(cp, name), fc.bounds))
            return false;
        } else {
          json out;
          std::string e;
          if (!read_field(*f, value, out, e)) return fail(at(cp, name), e);
          Config probe;
          f->set(probe, out);
          fc.bounds.equals = f->get(probe).dump();
        }
        c.config.push_back(fc);
      }
      return true;
    }
    if (j.contains("measure")) {
      if (!object(j, path, {"measure", "at_least", "at_most"})) return false;
      c.kind = CheckKind::Condition;
      return quantity(j["measure"], at(path, "measure"), c.quantity) && bounds(j, path, c.bounds);
    }
    if (j.contains("enter")) {
      if (!object(j, path, {"enter", "tolerance"})) return false;
      c.kind = CheckKind::Enter;
      if (!quantity(j["enter"], at(path, "enter"), c.quantity)) return false;
      if (!j.contains("tolerance")) return fail(at(path, "tolerance"), "is required (how far an answer may be off)");
      if (!number(j["tolerance"], at(path, "tolerance"), c.tolerance)) return false;
      if (c.tolerance < 0) return fail(at(path, "tolerance"), "must be a number of at least 0");
      return true;
    }
    if (j.contains("shape_of")) {
      if (!object(j, path, {"shape_of", "after_view"})) return false;
      c.kind = CheckKind::Shape;
      if (!text(j, "shape_of", path, c.tensor, 40, true)) return false;
      const auto& names = tensor_names();
      if (std::find(names.begin(), names.end(), c.tensor) == names.end())
        return fail(at(path, "shape_of"), "no tensor is called \"" + c.tensor + "\"");
      if (j.contains("after_view")) {
        if (!j["after_view"].is_boolean()) return fail(at(path, "after_view"), "must be true or false");
        c.after_view = j["after_view"].get<bool>();
      }
      return true;
    }
    if (j.contains("pick_head")) {
      if (!object(j, path, {"pick_head", "highest"})) return false;
      c.kind = CheckKind::PickHead;
      if (!quantity(j["pick_head"], at(path, "pick_head"), c.quantity, true)) return false;
      if (!info(c.quantity.of).per_head) return fail(at(path, "pick_head.of"), "must be a measure of one head");
      if (j.contains("highest")) {
        if (!j["highest"].is_boolean()) return fail(at(path, "highest"), "must be true or false");
        c.highest = j["highest"].get<bool>();
      }
      return true;
    }
    if (j.contains("pick_cell")) {
      if (!object(j, path, {"pick_cell"})) return false;
      c.kind = CheckKind::PickCell;
      static const std::pair<const char*, CellRule> rules[] = {{"blocked", CellRule::Blocked},
                                                               {"allowed", CellRule::Allowed},
                                                               {"largest_in_row", CellRule::LargestInRow},
                                                               {"zero", CellRule::Zero}};
      std::string r;
      if (!text(j, "pick_cell", path, r, 40, true)) return false;
      for (const auto& [name, rule] : rules)
        if (r == name) {
          c.cell = rule;
          return true;
        }
      return fail(at(path, "pick_cell"), "must be blocked, allowed, largest_in_row or zero");
    }
    if (j.contains("choose")) {
      if (!object(j, path, {"choose", "correct"})) return false;
      c.kind = CheckKind::Choose;
      const json& o = j["choose"];
      const std::string op = at(path, "choose");
      if (!o.is_array() || o.size() < 2 || o.size() > Limits::max_options)
        return fail(op, "must be a list of 2 to " + std::to_string(Limits::max_options) + " options");
      for (size_t i = 0; i < o.size(); ++i) {
        const std::string ip = op + "[" + std::to_string(i) + "]";
        if (!o[i].is_string() || o[i].get<std::string>().empty()) return fail(ip, "must be a non-empty string");
        if (o[i].get<std::string>().size() > Limits::max_title) return fail(ip, "is too long");
        c.options.push_back(o[i].get<std::string>());
      }
      if (!j.contains("correct")) return fail(at(path, "correct"), "is required");
      return integer(j["correct"], at(path, "correct"), 0, int(c.options.size()) - 1, c.correct);
    }
    if (j.contains("homework")) {
      if (!object(j, path, {"homework"})) return false;
      c.kind = CheckKind::Homework;
      if (!text(j, "homework", path, c.tensor, 40, true)) return false;
      if (!is_homework_target(c.tensor)) {
        std::string names;
        for (const HomeworkTarget& t : homework_targets()) names += std::string(names.empty() ? "" : ", ") + t.name;
        return fail(at(path, "homework"), "must be one of " + names);
      }
      return true;
    }
    return fail(path, "needs one of config, measure, enter, shape_of, pick_head, pick_cell, choose, homework");
  }

  bool step(const json& j, const std::string& path, Step& s) {
    if (!object(j, path, {"text", "hint", "explain", "start", "show_me", "check", "mistakes"})) return false;
    if (!text(j, "text", path, s.text, Limits::max_text, true) ||
        !text(j, "hint", path, s.hint, Limits::max_text, false) ||
        !text(j, "explain", path, s.explain, Limits::max_text, false))
      return false;
    if (j.contains("start") && !state(j["start"], at(path, "start"), s.start.emplace(), true)) return false;
    if (j.contains("show_me") && !state(j["show_me"], at(path, "show_me"), s.show_me.emplace(), false)) return false;
    if (!j.contains("check")) return fail(at(path, "check"), "is required");
    if (!check(j["check"], at(path, "check"), s.check)) return false;
    if (j.contains("mistakes")) {
      const json& m = j["mistakes"];
      const std::string mp = at(path, "mistakes");
      if (!m.is_array() || m.size() > Limits::max_mistakes)
        return fail(mp, "must be a list of at most " + std::to_string(Limits::max_mistakes));
      if (!m.empty() && s.check.kind != CheckKind::Enter) return fail(mp, "apply to entered numbers only");
      for (size_t i = 0; i < m.size(); ++i) {
        const std::string ip = mp + "[" + std::to_string(i) + "]";
        Mistake k;
        if (!object(m[i], ip, {"measure", "say"})) return false;
        if (!m[i].contains("measure")) return fail(at(ip, "measure"), "is required");
        if (!quantity(m[i]["measure"], at(ip, "measure"), k.quantity) ||
            !text(m[i], "say", ip, k.say, Limits::max_text, true))
          return false;
        s.mistakes.push_back(k);
      }
    }
    return true;
  }

  bool lesson(const json& j, Lesson& l) {
    if (!object(j, "", {"format", "id", "title", "about", "needs_model", "start", "steps"})) return false;
    if (!j.contains("format") || j["format"] != "attention-playground-lesson/1")
      return fail("format", "must be \"attention-playground-lesson/1\"");
    if (!text(j, "id", "", l.id, 60, true)) return false;
    for (char c : l.id)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
        return fail("id", "may hold only letters, digits, - and _");
    if (!text(j, "title", "", l.title, Limits::max_title, true) ||
        !text(j, "about", "", l.about, Limits::max_text, false))
      return false;
    if (j.contains("needs_model")) {
      if (!j["needs_model"].is_boolean()) return fail("needs_model", "must be true or false");
      l.needs_model = j["needs_model"].get<bool>();
    }
    if (j.contains("start") && !state(j["start"], "start", l.start, true)) return false;
    if (!j.contains("steps")) return fail("steps", "is required");
    const json& steps = j["steps"];
    if (!steps.is_array() || steps.empty() || steps.size() > Limits::max_steps)
      return fail("steps", "must be a list of 1 to " + std::to_string(Limits::max_steps) + " steps");
    for (size_t i = 0; i < steps.size(); ++i)
      if (!step(steps[i], "steps[" + std::to_string(i) + "]", l.steps.emplace_back())) return false;
    return true;
  }
};

}  // namespace

Parsed parse_lesson(std::string_view text, const std::vector<std::string>& panels) {
  Parsed out;
  if (text.size() > Limits::max_bytes) {
    out.error = "the lesson is larger than " + std::to_string(Limits::max_bytes / 1024) + " KiB";
    return out;
  }
  if (json_nesting(text) > Limits::max_depth) {
    out.error = "the lesson nests deeper than " + std::to_string(Limits::max_depth) + " levels";
    return out;
  }
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    out.error = "the lesson is not valid JSON";
    return out;
  }
  Reader r{panels, {}};
  Lesson l;
  if (!r.lesson(j, l)) {
    out.error = r.error;
    return out;
  }
  out.lesson = std::move(l);
  return out;
}

}  // namespace ap::lesson
