// What every panel (a tab of the views window) is: one file in this folder
// and one row of the registry (registry.cpp). A panel reads the Session (the
// trace and the numbers derived from it) and returns what it wants changed;
// it computes no maths itself.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "session/session.h"

namespace web {

// A rectangle on the canvas, in device pixels.
struct Box {
  float x = 0, y = 0, w = 0, h = 0;
};

// Where a heatmap was drawn, in canvas pixels, for the JS API's layout().
struct DrawnMap {
  int head;
  bool focus;  // the large one
  float x, y, w, h;
  int layer = -1;                      // a model's layer (the model view's thumbnails), else -1
  float zoom = 1;                      // a zoomable map's zoom (1 = all of it)
  int hover_row = -1, hover_col = -1;  // the cell under the pointer, whose tooltip shows
};

// A grid of numbers drawn as text (the Masks panel's library forms): its
// size and the rows and columns in view, [first, end), for layout().
struct DrawnGrid {
  std::string name;
  int rows, cols;
  int row0, row1, col0, col1;
};

// What a panel is given each frame besides the session.
struct PanelFrame {
  float scale = 1;                // device pixels per CSS pixel (every ImGui size is in device pixels)
  std::vector<DrawnMap>* drawn;   // heatmaps drawn this frame, for layout()
  std::vector<DrawnGrid>* grids;  // text grids drawn this frame, for layout()
  // Named widgets a test or an embedder may want to reach (buttons, fields), for layout().
  std::vector<std::pair<std::string, Box>>* widgets = nullptr;
};

// What a panel asks for after it is drawn; the app applies it.
struct PanelEdit {
  std::optional<ap::Config> config;        // apply this config (the controls then show it)
  std::optional<std::string> show_tensor;  // open the Tensors panel on this tensor
  std::string download;                    // an export_file() kind to download ("weights", "homework", ...)
  bool pick_file = false;                  // open the file picker (imports)
  bool pick_homework = false;              // open the file picker for an .npy to check as homework
  std::string model_request;               // a request for a model's files (Platform::model_request)
  std::string copy_text;                   // to the clipboard (a lesson's summary)
};

class Panel {
 public:
  virtual ~Panel() = default;
  virtual PanelEdit draw(Session& s, const PanelFrame& f) = 0;
  // After a lost WebGL context the GL names are void: forget them (the
  // panel makes new ones on its next frame).
  virtual void drop_gpu() {}
};

// Records the last item's rectangle under `name` in f.widgets, for layout().
void mark(const PanelFrame& f, const std::string& name);

struct PanelInfo {
  const char* key;    // in links, openPanel() and the tests
  const char* title;  // on the tab
  std::unique_ptr<Panel> (*make)();
};
// Every panel, in tab order.
const std::vector<PanelInfo>& panel_registry();

}  // namespace web
