package dev.tfkit.kernel;

import dev.tfkit.kernel.display.MimeBundle;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What one cell produced: every output in order, the value of its last expression (if any), and its
 * error (if it failed).
 */
public record EvalResult(List<CellOutput> outputs, Optional<MimeBundle> value, Optional<EvalError> error) {
  public EvalResult {
    outputs = List.copyOf(outputs);
  }

  public boolean ok() {
    return error.isEmpty();
  }

  /** Everything the cell printed on one stream ("stdout" or "stderr"), joined. */
  public String stream(String name) {
    return outputs.stream()
        .filter(o -> o instanceof CellOutput.Stream s && s.name().equals(name))
        .map(o -> ((CellOutput.Stream) o).text())
        .collect(Collectors.joining());
  }

  public String stdout() {
    return stream("stdout");
  }

  public String stderr() {
    return stream("stderr");
  }

  /** The bundles shown with {@code display(...)} (not updates), in order. */
  public List<MimeBundle> displays() {
    return outputs.stream()
        .filter(o -> o instanceof CellOutput.Display d && !d.update())
        .map(o -> ((CellOutput.Display) o).bundle())
        .toList();
  }
}
