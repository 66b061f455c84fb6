#include "pki/TabWriter.h"

#include <algorithm>

namespace csrop::pki {
namespace {

// Go's Writer.format and Writer.writeLines (text/tabwriter/tabwriter.go) without the flags kubeadm
// does not set.
class Layout {
 public:
  Layout(const std::vector<std::vector<std::string>>& lines, std::size_t minWidth, std::size_t padding)
      : lines_(lines), minWidth_(minWidth), padding_(padding) {}

  std::string run() {
    format(0, lines_.size());
    return out_;
  }

 private:
  bool hasCell(std::size_t line, std::size_t column) const { return column + 1 < lines_[line].size(); }

  void format(std::size_t line0, std::size_t line1) {
    const std::size_t column = widths_.size();
    for (std::size_t t = line0; t < line1; ++t) {
      if (!hasCell(t, column)) continue;
      writeLines(line0, t);
      line0 = t;
      std::size_t width = minWidth_;
      for (; t < line1 && hasCell(t, column); ++t) width = std::max(width, lines_[t][column].size() + padding_);
      widths_.push_back(width);
      format(line0, t);
      widths_.pop_back();
      line0 = t;
    }
    writeLines(line0, line1);
  }

  void writeLines(std::size_t line0, std::size_t line1) {
    for (std::size_t i = line0; i < line1; ++i) {
      const auto& line = lines_[i];
      for (std::size_t j = 0; j < line.size(); ++j) {
        out_ += line[j];
        if (j < widths_.size() && widths_[j] > line[j].size()) out_.append(widths_[j] - line[j].size(), ' ');
      }
      out_ += '\n';
    }
  }

  const std::vector<std::vector<std::string>>& lines_;
  const std::size_t minWidth_, padding_;
  std::vector<std::size_t> widths_;
  std::string out_;
};

}  // namespace

std::string tabwrite(const std::vector<std::vector<std::string>>& lines, std::size_t minWidth, std::size_t padding) {
  return Layout(lines, minWidth, padding).run();
}

}  // namespace csrop::pki
