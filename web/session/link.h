// The link: everything on screen as a URL fragment, and back.
#pragma once
#include <string>

#include "session/session.h"

namespace web {

// Loads a link's settings (the URL fragment, with or without '#'): every
// parameter that can be used is; the others become notes. Page keys: panel,
// head (the focused head), tensor, embed; t_* are the training lab's; model
// (a repo id: the GPT-2 tab asks before downloading it, then applies the rest).
void apply_link(Session& s, const std::string& query);
// A link's model keys (layer, ablate=L.H,...) and the chosen layer's fields, applied to the loaded model.
void apply_model_link(Session& s, const std::string& query);
// The fragment describing what is on screen now: with a model, model=<repo>&layer=...&ablate=....
std::string current_link(const Session& s);

}  // namespace web
