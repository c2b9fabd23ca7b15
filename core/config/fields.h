// The fields of Config, listed once. JSON (json.h), the link (url.h), the
// per-field validation messages, "does this edit change the projections"
// and the README's field table are all read from this table, so a new field
// is one row here (and its member in config.h).
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace ap {

enum class FieldKind { Text, Int, Number, Bool, Choice, BoolMatrix, FloatMatrix };

struct Field {
  const char* name = "";
  FieldKind kind = FieldKind::Int;
  // Int and Number: the accepted range, [lo, hi], or [lo, hi) with hi_open.
  double lo = 0, hi = 0;
  bool hi_open = false;
  // What "<name> must be ..." says when the value is out of range; for
  // Int fields without one, "between lo and hi".
  const char* rule = nullptr;
  // The field changes the token vectors or Q/K/V. An edit of fields without
  // this flag only redoes attention (same_projections), so a wrong flag here
  // would show stale projections: tests/test_fields.cpp checks every row.
  bool projections = false;
  const char* help = "";
  std::vector<const char*> choices;  // Choice: the names, in the enum's order

  // The value as JSON (enums by name, -inf as "-inf", empty matrices as null).
  nlohmann::json (*get)(const Config&) = nullptr;
  // Sets a value that read_field() accepted.
  void (*set)(Config&, const nlohmann::json&) = nullptr;
  bool (*same)(const Config&, const Config&) = nullptr;
};

// Every field, in the order JSON and links write them.
const std::vector<Field>& config_fields_table();
// nullptr for an unknown name.
const Field* find_field(const std::string& name);

// Checks a JSON value for a field: its type, cells and, for Int fields, the
// range (a value past it could not be held). On error, one sentence.
bool read_field(const Field& f, const nlohmann::json& v, nlohmann::json& out, std::string& error);
// "<name> must be <rule> (got <value>)" when an Int or Number field is out of range, else "".
std::string range_error(const Field& f, const Config& c);

// "a number", "a string", ... for messages about a JSON value of the wrong type.
const char* json_type_name(const nlohmann::json& v);

// The range a field accepts, in words ("1 to 64", "true/false", "zero, nan, uniform").
std::string field_range_text(const Field& f);
// The README's table of fields, as Markdown (tests/test_fields.cpp compares).
std::string fields_markdown();

}  // namespace ap
