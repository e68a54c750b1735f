package dev.tfkit.rest;

/**
 * The two tensor layouts of TensorFlow Serving's REST predict API: which JSON key carries the
 * inputs and which carries the outputs.
 */
public enum RestFormat {
  /**
   * Row format: request {@code "instances"}, response {@code "predictions"}. Every named tensor
   * shares its 0-th (batch) dimension; each list item is one row, and the rows are stacked.
   */
  ROW("instances", "predictions"),
  /**
   * Columnar format: request {@code "inputs"}, response {@code "outputs"}. Each tensor is written
   * whole in its natural nested form; shapes are free (scalars included).
   */
  COLUMNAR("inputs", "outputs");

  private final String requestKey;
  private final String responseKey;

  RestFormat(String requestKey, String responseKey) {
    this.requestKey = requestKey;
    this.responseKey = responseKey;
  }

  /** The request body key: {@code instances} or {@code inputs}. */
  public String requestKey() {
    return requestKey;
  }

  /** The response body key: {@code predictions} or {@code outputs}. */
  public String responseKey() {
    return responseKey;
  }
}
