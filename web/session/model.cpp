// A real GPT-2 in the session: see model.h.
#include "session/model.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "base/format.h"
#include "config/fields.h"
#include "model/sampling.h"
#include "session/link.h"
#include "session/session.h"

namespace web {
namespace {

constexpr int kTop = 10;
// The page's wasm memory, and what stays free for the page itself (ImGui, the GL
// buffers, JS's copies of chunks): a text is refused when the model's state and
// the chosen layer's trace would not fit beside the weights.
constexpr size_t kPageBytes = size_t{2} << 30, kPageReserve = size_t{160} << 20;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The layer config as the session shows it: the model's text in the text field.
ap::Config shown_config(const ModelSession& m) {
  ap::Config c = m.edits.layers[size_t(m.layer)];
  c.text = m.text;
  return c;
}

std::vector<std::string> token_labels(const ap::Gpt2Tokenizer& t, const std::vector<int>& ids) {
  std::vector<std::string> out;
  for (int id : ids) out.push_back(t.token_display(id));
  return out;
}

bool edited(const ModelSession& m) { return !(m.edits == ap::gpt2_default_edits(m.model.config)); }

// Why `tokens` cannot be shown: none, more than n_positions, or more than the page's memory holds.
std::string check_text_tokens(const ModelSession& m, const Session& s, const std::vector<int>& tokens) {
  const ap::Gpt2Config& c = m.model.config;
  const int n = int(tokens.size());
  if (n == 0) return "the text must have at least one token for the model to read";
  if (n > c.n_positions)
    return ap::format("the text is %d tokens; %s reads at most n_positions = %d", n, m.name.c_str(), c.n_positions);
  const size_t need = ap::gpt2_memory(c, n).total() + s.derived.trace_bytes + kPageReserve;
  if (need > kPageBytes)
    return ap::format("%d tokens need %.0f MB beside %s's weights, more than the page's 2 GiB of memory holds", n,
                      double(need - ap::gpt2_weight_bytes(c)) / 1e6, m.name.c_str());
  return "";
}

// Masks painted for the old number of tokens no longer fit: dropped, with a note.
void drop_sized_masks(Session& s, ap::Gpt2Edits& e, int n) {
  for (size_t l = 0; l < e.layers.size(); ++l) {
    ap::Config& c = e.layers[l];
    const bool custom = !c.custom_mask.empty() && int(c.custom_mask.size()) != n;
    const bool floats = !c.float_mask.empty() && int(c.float_mask.size()) != n;
    if (custom) c.custom_mask.clear();
    if (floats) c.float_mask.clear();
    if (custom || floats)
      s.notes.push_back(ap::format("layer %zu's painted mask was for another number of tokens: cleared", l));
  }
}

Prediction make_prediction(const ModelSession& m, const float* logits, int position) {
  Prediction p;
  p.position = position;
  p.top = ap::top_tokens(logits, m.model.config.vocab_size, kTop);
  for (const auto& t : p.top) p.logprob.push_back(std::log(t.probability));
  if (position == int(m.tokens.size()) - 1 && edited(m) && m.unedited_tokens == m.tokens) {
    for (const auto& t : p.top) p.unedited_logprob.push_back(m.unedited_logprobs[size_t(t.token)]);
    p.unedited_top = m.unedited_top;
  }
  return p;
}

// The logits after the last token [1 x vocab], or nothing with the work's error set.
std::optional<ap::Mat> last_logits_row(ModelSession& m, ModelWork& w) {
  auto r = ap::gpt2_logits(m.model, m.state, {int(m.tokens.size()) - 1});
  if (auto* e = std::get_if<std::string>(&r)) {
    w.error = *e;
    return std::nullopt;
  }
  return std::get<ap::Mat>(std::move(r));
}

// After the unedited forward: the reference the edits' effects are measured against.
void capture_unedited(ModelSession& m, const ap::Mat& row) {
  m.unedited_logprobs = ap::log_probabilities(row.data(), int(row.cols()));
  m.unedited_top = ap::top_tokens(row.data(), int(row.cols()), kTop);
  m.unedited_weights = m.state.keep_weights ? m.state.weights : std::vector<std::vector<ap::Mat>>{};
  m.unedited_tokens = m.tokens;
}

// After the forward that is shown: the prediction and how far the edits moved every head.
void predict(ModelSession& m, const ap::Mat& row) {
  m.last_logits.assign(row.data(), row.data() + row.size());
  m.prediction = make_prediction(m, row.data(), int(m.tokens.size()) - 1);
  m.attention_change.clear();
  if (!edited(m) || !m.state.keep_weights || m.unedited_tokens != m.tokens || m.unedited_weights.empty()) return;
  for (size_t l = 0; l < m.state.weights.size(); ++l) {
    m.attention_change.emplace_back();
    for (size_t h = 0; h < m.state.weights[l].size(); ++h)
      m.attention_change.back().push_back(ap::attention_shift(m.state.weights[l][h], m.unedited_weights[l][h]));
  }
}

// Plans the forward of m.tokens with `edits`, when the pieces before have run (the state tells where to restart).
void add_forward(ModelSession& m, ModelWork& w, const ap::Gpt2Edits& edits, double cost) {
  w.plan.add(cost, [&m, &w, edits] {
    if (!w.error.empty()) return;
    if (std::string e = ap::plan_gpt2_forward(m.model, m.tokens, edits, m.state, w.plan); !e.empty()) w.error = e;
  });
}

// Makes the session show the chosen layer when the work is done.
// Makes the session show the work's result: the chosen layer's new trace if it was
// made again, and a new generation either way (the model view reads every layer).
void show_chosen(Session& s, bool remade) {
  ModelSession& m = *s.model;
  if (remade) {
    s.config = shown_config(m);
    s.inputs = std::move(m.chosen.inputs);
    s.trace = std::move(m.chosen.trace);
    m.shown_layer = m.layer;
    m.shown_tokens = m.tokens;
    m.shown_edits = m.edits;
  }
  shown_new_trace(s);
}

void finish_work(Session& s) {
  ModelSession& m = *s.model;
  const std::string error = m.work->error;
  const bool remade = m.work->chose;
  m.forward_ms = m.work->ms;
  s.compute_ms = s.weights_ms = m.work->ms;
  s.longest_slice_ms = m.work->longest_slice_ms;
  s.longest_piece_ms = m.work->plan.longest_piece_ms();
  m.work.reset();
  if (!error.empty()) s.notes.push_back(m.name + ": " + error);
  else show_chosen(s, remade);
}

// (Re)starts the work that brings the session up to m's tokens, edits and layer:
// the unedited forward when its reference is stale, the edited one from the first
// edited layer, the chosen layer's trace, the prediction. Small work runs at once.
void start_work(Session& s) {
  ModelSession& m = *s.model;
  m.work = std::make_unique<ModelWork>();
  m.at.clear();
  ModelWork& w = *m.work;
  const ap::Gpt2Config& c = m.model.config;
  const int n = int(m.tokens.size());
  const double forward = ap::gpt2_forward_flops(c, n, 0) * ap::kFlopCost;
  const double logits = 2.0 * c.n_embd * c.vocab_size * ap::kFlopCost;
  const ap::Gpt2Edits plain = ap::gpt2_default_edits(c);
  const bool is_edited = !(m.edits == plain);
  // The layers a forward must run: from the first that differs from what the state holds.
  const auto layers_from = [&](const ap::Gpt2Edits& held, const ap::Gpt2Edits& next) {
    const bool same_tokens = m.state.tokens == m.tokens && m.state.layers_done == c.n_layer;
    return double(c.n_layer - (same_tokens ? ap::first_edited_layer(held, next) : 0)) / std::max(1, c.n_layer);
  };
  const bool plain_first = !is_edited || m.unedited_tokens != m.tokens;
  if (plain_first) {
    add_forward(m, w, plain, forward * layers_from(m.state.edits, plain));
    // Unedited, this forward is also the one shown: one row of logits serves both.
    w.plan.add(logits, [&m, &w, is_edited] {
      if (!w.error.empty()) return;
      if (auto row = last_logits_row(m, w)) {
        capture_unedited(m, *row);
        if (!is_edited) predict(m, *row);
      }
    });
  }
  if (is_edited) add_forward(m, w, m.edits, forward * layers_from(plain_first ? plain : m.state.edits, m.edits));
  // The chosen layer's trace is made again only when its input or its own edits changed.
  const bool chosen_current = m.shown_layer == m.layer && m.shown_tokens == m.tokens &&
                              ap::first_edited_layer(m.shown_edits, m.edits) > m.layer;
  if (!chosen_current)
    w.plan.add(forward / std::max(1, c.n_layer), [&m, &w] {
      if (!w.error.empty()) return;
      w.chose = true;
      if (std::string e = ap::plan_gpt2_choose_layer(m.model, m.state, m.layer, m.token_text, m.chosen, w.plan);
          !e.empty())
        w.error = e;
    });
  if (is_edited)
    w.plan.add(logits, [&m, &w] {
      if (!w.error.empty()) return;
      if (auto row = last_logits_row(m, w)) predict(m, *row);
    });
  if (w.plan.total() <= kAtOnceCost) advance_model(s, 1e300);
}

// Commits new tokens and edits, then recomputes.
void commit(Session& s, std::vector<int> tokens, std::string text, ap::Gpt2Edits edits) {
  ModelSession& m = *s.model;
  m.tokens = std::move(tokens);
  m.text = std::move(text);
  m.token_text = token_labels(*m.tokenizer, m.tokens);
  m.edits = std::move(edits);
  m.target = shown_config(m);
  start_work(s);
}

}  // namespace

// [SECTION] loading

ModelCheck check_model(const std::string& config_json) {
  ModelCheck r;
  auto parsed = ap::parse_gpt2_config(config_json);
  if (auto* e = std::get_if<std::string>(&parsed)) {
    r.error = *e;
    return r;
  }
  r.config = std::get<ap::Gpt2Config>(parsed);
  r.parameters = ap::gpt2_parameters(r.config);
  r.weight_bytes = ap::gpt2_weight_bytes(r.config);
  r.error = ap::gpt2_weights_fit(r.config, kModelWeightsLimit);
  return r;
}

std::string begin_model_load(Session& s, const std::string& name, const std::string& config_json, uint64_t file_bytes) {
  s.loading.reset();
  ModelCheck check = check_model(config_json);
  if (!check.error.empty()) return check.error;
  auto load = std::make_unique<ModelLoad>();
  load->name = name.empty() ? "local files" : name;
  load->weights = std::make_unique<ap::Gpt2Loader>(config_json, file_bytes);
  s.loading = std::move(load);
  return "";
}

std::string add_model_file(Session& s, const std::string& file, std::string bytes) {
  if (!s.loading) return "no model is being loaded: give its config.json first";
  if (bytes.size() > ap::kMaxTokenizerFileBytes)
    return ap::format("%s is %.1f MB; a tokenizer file may be at most %zu MB", file.c_str(), double(bytes.size()) / 1e6,
                      ap::kMaxTokenizerFileBytes >> 20);
  ModelLoad& l = *s.loading;
  if (file == "vocab.json") l.vocab_json = std::move(bytes);
  else if (file == "merges.txt") l.merges_txt = std::move(bytes);
  else if (file == "tokenizer.json") l.tokenizer_json = std::move(bytes);
  else return "not a tokenizer file: " + file + " (vocab.json, merges.txt or tokenizer.json)";
  return "";
}

std::string feed_model_weights(Session& s, const void* data, size_t size) {
  if (!s.loading) return "no model is being loaded: give its config.json first";
  std::string e = s.loading->weights->feed(data, size);
  if (!e.empty()) s.loading.reset();  // nothing more of this file can help
  return e;
}

std::string finish_model_load(Session& s) {
  if (!s.loading) return "no model is being loaded";
  std::unique_ptr<ModelLoad> l = std::move(s.loading);
  std::optional<ap::Gpt2Tokenizer> tokenizer;
  {
    std::variant<ap::Gpt2Tokenizer, std::string> t = std::string();
    if (!l->vocab_json.empty() && !l->merges_txt.empty())
      t = ap::Gpt2Tokenizer::from_vocab_merges(l->vocab_json, l->merges_txt);
    else if (!l->tokenizer_json.empty()) t = ap::Gpt2Tokenizer::from_tokenizer_json(l->tokenizer_json);
    else return "the model's tokenizer is missing: give vocab.json and merges.txt, or tokenizer.json";
    if (auto* e = std::get_if<std::string>(&t)) return *e;
    tokenizer = std::move(std::get<ap::Gpt2Tokenizer>(t));
  }
  auto loaded = l->weights->finish();
  l->weights.reset();
  if (auto* e = std::get_if<std::string>(&loaded)) return *e;
  ap::Gpt2Model& model = std::get<ap::Gpt2Model>(loaded);
  if (tokenizer->vocab_size() > model.config.vocab_size)
    return ap::format("the tokenizer has %d tokens but the model's vocab_size is %d", tokenizer->vocab_size(),
                      model.config.vocab_size);

  auto m = std::make_unique<ModelSession>();
  m->name = l->name;
  m->model = std::move(model);
  m->tokenizer = std::move(tokenizer);
  m->playground = s.model ? s.model->playground : s.config;
  for (const auto& note : m->model.notes) s.notes.push_back(m->name + ": " + note);
  std::string text = s.model ? s.model->text : s.config.text;
  std::vector<int> tokens = m->tokenizer->encode(text);
  const int limit = m->model.config.n_positions;
  if (int(tokens.size()) > limit) {
    tokens.resize(size_t(limit));
    text = m->tokenizer->decode(tokens);
    s.notes.push_back(ap::format("the text was cut to %s's n_positions = %d tokens", m->name.c_str(), limit));
  }
  if (tokens.empty()) {
    text = ap::Config{}.text;
    tokens = m->tokenizer->encode(text);
  }
  s.pending.reset();
  s.finishing.reset();
  s.model = std::move(m);
  ++s.outside_edits;
  commit(s, std::move(tokens), std::move(text), ap::gpt2_default_edits(s.model->model.config));
  if (!s.fetch.link_query.empty() && s.fetch.link_model == s.model->name) {  // the link that asked for this model
    apply_model_link(s, s.fetch.link_query);
    s.fetch.link_query.clear();
  }
  return "";
}

void cancel_model_load(Session& s) { s.loading.reset(); }

void unload_model(Session& s) {
  if (!s.model) return;
  const ap::Config playground = s.model->playground;
  s.model.reset();
  recompute_whole(s, playground);
}

// [SECTION] the model in the session

bool parse_head(const std::string& text, int& layer, int& head) {
  char* end = nullptr;
  const long l = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '.' || !std::isdigit(static_cast<unsigned char>(end[1]))) return false;
  const char* h = end + 1;
  const long hh = std::strtol(h, &end, 10);
  if (*end || l < 0 || hh < 0 || l > 1 << 20 || hh > 1 << 20) return false;
  layer = int(l), head = int(hh);
  return true;
}

std::vector<std::string> apply_model_edits(Session& s, int layer, const ap::Config& next, ap::Gpt2Edits edits) {
  ModelSession& m = *s.model;
  const ap::Gpt2Config& c = m.model.config;
  if (layer < 0 || layer >= c.n_layer)
    return {ap::format("layer %d does not exist: %s has layers 0 to %d", layer, m.name.c_str(), c.n_layer - 1)};
  if (int(edits.layers.size()) != c.n_layer) return {"the edits must have a config for each of the model's layers"};
  edits.layers[size_t(layer)] = next;
  std::vector<std::string> errors;
  for (int l = 0; l < c.n_layer; ++l) {
    ap::Config& cfg = edits.layers[size_t(l)];
    const ap::Config own = ap::gpt2_layer_config(c, l);
    cfg.text = own.text;  // the model's text is m.text; a layer's config keeps the default
    for (const ap::Field& f : ap::config_fields_table())
      if (f.projections && !f.same(cfg, own))
        errors.push_back(
            ap::format("%s is %s's own while it is loaded: unload the model to change it", f.name, m.name.c_str()));
  }
  if (!errors.empty()) {
    std::sort(errors.begin(), errors.end());
    errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
    return errors;
  }
  std::vector<int> tokens = m.tokens;
  if (next.text != m.text) {
    if (next.text.size() > ap::Limits::max_text_bytes)
      return {ap::format("the text is %zu bytes; at most %zu", next.text.size(), ap::Limits::max_text_bytes)};
    tokens = m.tokenizer->encode(next.text);
  }
  if (std::string e = check_text_tokens(m, s, tokens); !e.empty()) return {e};
  if (tokens.size() != m.tokens.size()) drop_sized_masks(s, edits, int(tokens.size()));
  errors = ap::validate_gpt2_edits(c, int(tokens.size()), edits);
  if (!errors.empty()) return errors;
  if (layer != m.layer) {
    m.layer = layer;
    ++s.outside_edits;
  } else if (tokens == m.tokens && next.text == m.text && edits == m.edits) {
    return {};
  }
  commit(s, std::move(tokens), next.text, std::move(edits));
  return {};
}

std::vector<std::string> apply_model_config(Session& s, const ap::Config& next) {
  return apply_model_edits(s, s.model->layer, next, s.model->edits);
}

std::string choose_model_layer(Session& s, int layer) {
  if (!s.model) return "no model is loaded";
  ModelSession& m = *s.model;
  if (layer < 0 || layer >= m.model.config.n_layer)
    return ap::format("layer %d does not exist: %s has layers 0 to %d", layer, m.name.c_str(),
                      m.model.config.n_layer - 1);
  if (layer == m.layer && !m.work) return "";
  m.layer = layer;
  m.target = shown_config(m);
  ++s.outside_edits;
  start_work(s);
  return "";
}

std::string ablate_model_head(Session& s, int layer, int head, bool on) {
  if (!s.model) return "no model is loaded";
  ModelSession& m = *s.model;
  const ap::Gpt2Config& c = m.model.config;
  if (layer < 0 || layer >= c.n_layer || head < 0 || head >= c.n_head)
    return ap::format("head %d.%d does not exist: %s has layers 0 to %d of heads 0 to %d", layer, head, m.name.c_str(),
                      c.n_layer - 1, c.n_head - 1);
  if ((m.edits.ablated[size_t(layer)][size_t(head)] != 0) == on) return "";
  ap::Gpt2Edits edits = m.edits;
  edits.ablated[size_t(layer)][size_t(head)] = on ? 1 : 0;
  commit(s, m.tokens, m.text, std::move(edits));
  return "";
}

void clear_model_edits(Session& s) {
  if (!s.model) return;
  ModelSession& m = *s.model;
  ++s.outside_edits;
  commit(s, m.tokens, m.text, ap::gpt2_default_edits(m.model.config));
}

int append_sampled_token(Session& s) {
  if (!s.model) return -1;
  ModelSession& m = *s.model;
  if (m.work || m.last_logits.empty()) {
    s.notes.push_back("the prediction is still being computed: sample once it is shown");
    return -1;
  }
  ap::SampleSettings settings{m.sampling.temperature, m.sampling.top_k, m.sampling.seed};
  if (std::string e = ap::check_sample_settings(settings, m.model.config.vocab_size); !e.empty()) {
    s.notes.push_back(e);
    return -1;
  }
  const int id = ap::sample_token(m.last_logits.data(), int(m.last_logits.size()), settings);
  std::vector<int> tokens = m.tokens;
  tokens.push_back(id);
  if (std::string e = check_text_tokens(m, s, tokens); !e.empty()) {
    s.notes.push_back(e);
    return -1;
  }
  ++m.sampling.seed;
  ap::Gpt2Edits edits = m.edits;
  drop_sized_masks(s, edits, int(tokens.size()));
  std::string text = m.tokenizer->decode(tokens);
  ++s.outside_edits;
  commit(s, std::move(tokens), std::move(text), std::move(edits));
  return id;
}

const Prediction* model_prediction_at(Session& s, int position) {
  if (!s.model || s.model->work) return nullptr;
  ModelSession& m = *s.model;
  if (position < 0 || position >= int(m.tokens.size())) return nullptr;
  if (position == int(m.tokens.size()) - 1) return &m.prediction;
  if (auto it = m.at.find(position); it != m.at.end()) return &it->second;
  auto r = ap::gpt2_logits(m.model, m.state, {position});
  if (!std::holds_alternative<ap::Mat>(r)) return nullptr;
  return &(m.at[position] = make_prediction(m, std::get<ap::Mat>(r).data(), position));
}

bool advance_model_behaviour(Session& s, double budget_ms) {
  if (!s.model) return false;
  ModelSession& m = *s.model;
  if (m.behaviour) return true;
  const ap::Gpt2Config& c = m.model.config;
  if (!m.behaviour_work) {
    auto table = std::make_shared<BehaviourTable>();
    table->half = std::min(50, (c.n_positions - 1) / 2);
    const auto eos = m.tokenizer->id_of("<|endoftext|>");
    // Random tokens from past the 256 single bytes, the end-of-text token excluded.
    const int vocab = std::min(c.vocab_size, m.tokenizer->vocab_size()) - (eos ? 1 : 0);
    table->tokens = ap::repeated_random_tokens(table->half, 256, vocab, 2024, eos ? *eos : -1);
    m.behaviour_work = std::make_unique<ap::Plan>();
    ap::Gpt2Options o;
    o.keep_weights_bytes = ~size_t{0};
    if (std::string e = ap::plan_gpt2_forward(m.model, table->tokens, ap::gpt2_default_edits(c), m.behaviour_state,
                                              *m.behaviour_work, o);
        !e.empty()) {
      s.notes.push_back("the heads' behaviour could not be measured: " + e);
      m.behaviour_work.reset();
      return false;
    }
    m.behaviour_work->add(double(c.n_layer) * c.n_head * table->tokens.size() * table->tokens.size(), [&m, table] {
      table->scores.resize(m.behaviour_state.weights.size());
      for (size_t l = 0; l < m.behaviour_state.weights.size(); ++l)
        for (const ap::Mat& w : m.behaviour_state.weights[l])
          table->scores[l].push_back(ap::head_behaviour(w, table->tokens));
      m.behaviour = std::move(*table);
    });
  }
  if (!m.behaviour_work->advance(budget_ms)) return false;
  m.behaviour_work.reset();
  m.behaviour_state = ap::Gpt2State{};
  return m.behaviour.has_value();
}

void advance_model(Session& s, double budget_ms) {
  if (!s.model || !s.model->work) return;
  ModelWork& w = *s.model->work;
  const auto t0 = std::chrono::steady_clock::now();
  const bool done = w.plan.advance(budget_ms);
  const double ms = ms_since(t0);
  w.ms += ms;
  w.longest_slice_ms = std::max(w.longest_slice_ms, ms);
  if (done) finish_work(s);
}

bool model_busy(const Session& s) { return s.model && s.model->work; }

}  // namespace web
