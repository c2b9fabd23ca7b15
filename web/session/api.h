// The JS API's answers (web/platform/api.js calls them through bridge.cpp),
// as JSON, so that what the page reports is built and tested natively.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "session/session.h"

namespace web::api {

// {"ok": bool, "errors": [...], "pending": bool}; nothing changes unless ok.
nlohmann::json set_config(Session& s, const std::string& json);
// {"busy", "phase" ("weights": a new trace up to its weights; "outputs": the
// shown trace's weights·V and output; "" when idle), "progress" (0..1 of the
// phase), "lastMs" (the last finished trace, outputs included), "weightsMs"
// (from its edit to its weights on screen), "longestSliceMs",
// "longestPieceMs", "longestFrameMs" (since the last call, which resets it)}.
nlohmann::json computing(Session& s);
// {"ok": true} or {"error": "unknown panel ...; known: ..."}.
nlohmann::json open_panel(Session& s, const std::string& key);
// {"panels": [keys], "current": key}
nlohmann::json panels(const Session& s);
// The numbers the panels show, as the core derived them: heads, similarity,
// scaling, costs, steps.
nlohmann::json analysis(Session& s);
// The training lab: {"action": "start" | "pause" | "step" (with "steps") |
// "reset" | "settings" (with "settings": {...}) | "ablate" (with "layer",
// "head", "on") | "state"}. Replies with the lab's state, or {"error"} (and
// changes nothing).
nlohmann::json train(Session& s, const std::string& request);

}  // namespace web::api
