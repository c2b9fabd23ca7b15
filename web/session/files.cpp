// Imports and exports (files.h).
#include "session/files.h"

#include "config/json.h"
#include "io/npz.h"
#include "train/tasks.h"

namespace web {

std::string import_file(Session& s, const std::string& role_name, const std::string& bytes) {
  if (role_name == "npz") {
    std::string error = train_import_npz(s.train, bytes);
    s.train.message = error.empty() ? "weights loaded" : error;
    return error;
  }
  const auto role = ap::import_role(role_name);
  if (!role) return "name the file x.npy, q.npy, k.npy or v.npy: the name says what it replaces";
  auto parsed = ap::parse_npy(bytes);
  if (auto* e = std::get_if<std::string>(&parsed)) return role_name + ".npy: " + *e;
  std::string error;
  auto m = ap::import_matrix(*role, std::get<ap::Array>(parsed), s.config, &error);
  if (!m) return error;
  std::optional<ap::Mat>* slot[] = {&s.imported.x, &s.imported.q, &s.imported.k, &s.imported.v};
  *slot[int(*role)] = std::move(*m);
  refresh(s);
  ++s.outside_edits;
  return "";
}

const std::vector<std::string>& export_kinds() {
  static const std::vector<std::string> kinds = {"npy", "csv", "config", "pytorch", "npz", "homework", "weights"};
  return kinds;
}

ExportFile export_file(const Session& s, const std::string& kind, const std::string& tensor, int head) {
  if (kind == "config") return {"attention_config.json", "application/json", ap::config_to_json(s.config), ""};
  if ((kind == "pytorch" || kind == "npz" || kind == "homework") && !s.trace.outputs_ready)
    return {"", "", "", "the output is still being computed (new weights are shown first): try again in a moment"};
  if (kind == "pytorch")
    return {"attention_playground.py", "text/x-python",
            ap::pytorch_script(s.config, s.trace, "attention_playground.npz"), ""};
  if (kind == "npz")
    return {"attention_playground.npz", "application/octet-stream", ap::npz_bytes(ap::export_arrays(s.inputs, s.trace)),
            ""};
  if (kind == "homework") return {"attention_homework.npz", "application/octet-stream", homework_inputs_npz(s), ""};
  if (kind == "weights") {
    if (!s.train.trainer) return {"", "", "", "nothing trained yet: open the Train tab first"};
    return {std::string("attention_train_") + ap::train::task_info(s.train.settings.task).key + "_step" +
                std::to_string(s.train.trainer->step_count()) + ".npz",
            "application/octet-stream", train_export_npz(s.train), ""};
  }
  ExportFile f;
  if (kind != "npy" && kind != "csv") {
    std::string known;
    for (const auto& k : export_kinds()) known += (known.empty() ? "" : ", ") + k;
    f.error = "unknown export '" + kind + "'; known: " + known;
    return f;
  }
  auto td = ap::find_tensor(s.trace, tensor, head, &f.error);
  if (!td) return f;
  const std::string base = tensor + (head >= 0 && ap::per_head_tensor(tensor) ? "_head" + std::to_string(head) : "");
  if (kind == "npy") return {base + ".npy", "application/octet-stream", ap::npy_bytes(ap::to_array(*td)), ""};
  return {base + ".csv", "text/csv", ap::tensor_csv(*td), ""};
}

}  // namespace web
