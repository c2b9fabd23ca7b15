// The JS API's answers (web/platform/api.js calls them through bridge.cpp),
// as JSON, so that what the page reports is built and tested natively.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "session/session.h"

namespace web::api {

// {"ok": bool, "errors": [...], "pending": bool}; nothing changes unless ok. With a model loaded, also
// "layer" (the chosen layer), "ablate" (every ablated head: ["L.H", ...] or [[L, H], ...]) and "layers"
// ({"L": {fields}}: edits of other layers than the chosen one); the other fields edit the chosen layer.
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

// [SECTION] a real GPT-2 (session/model.h)

// config.json checked before a download: {ok, error, parameters, weightBytes, limitBytes, layers, heads, d_model}.
nlohmann::json model_check(const std::string& config_json);
// The loaded model: {name, layers, heads, d_model, n_positions, vocab, parameters, weightBytes, layer,
// ablated: ["L.H", ...], forwardMs}, or null.
nlohmann::json model_info(const Session& s);
// Ends a load: {ok, errors, info}.
nlohmann::json model_finish(Session& s);
// The prediction after `position` (-1: the last token): {position, tokens, ids, probs, logprobs,
// uneditedLogprobs, uneditedTokens}, or {error}.
nlohmann::json prediction(Session& s, int position);
// {"action": "ablate" (layer, head, on) | "clear" | "sample" (temperature, top_k, seed) | "behaviour" |
// "state"}: the model's state ({info, prediction, attentionChange, behaviour}) or {error}.
nlohmann::json model_edit(Session& s, const std::string& request);
// What the page's side reports of a download (ModelFetch's fields, camelCase); {ok}.
nlohmann::json model_fetch(Session& s, const std::string& status);
// A tensor of any layer of the model (its trace made for the asking when not the chosen one).
nlohmann::json model_tensor(Session& s, const std::string& name, int head, int layer, std::vector<float>& data);

}  // namespace web::api
