package dev.tfkit.server.lifecycle;

/**
 * Where a model version is in its life, with TF Serving's names and numbers ({@code
 * ModelVersionStatus.State}); a failed load ends in {@link #END} with an error.
 */
public enum ServableState {
  UNKNOWN(0),
  START(10),
  LOADING(20),
  AVAILABLE(30),
  UNLOADING(40),
  END(50);

  private final int number;

  ServableState(int number) {
    this.number = number;
  }

  /** The number of the same state in TF Serving's {@code ModelVersionStatus.State} enum. */
  public int number() {
    return number;
  }
}
