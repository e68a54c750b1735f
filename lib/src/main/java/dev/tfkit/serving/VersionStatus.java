package dev.tfkit.serving;

/**
 * The state of one version of a served model, as TF Serving's GetModelStatus reports it to a
 * client (the embedded server's own view is {@code dev.tfkit.server.lifecycle.ServableStatus}).
 *
 * @param version the version number
 * @param state {@code START}, {@code LOADING}, {@code AVAILABLE}, {@code UNLOADING} or {@code END}
 * @param errorCode {@code OK} or the error that ended the version (e.g. {@code UNKNOWN} for a
 *     failed load)
 * @param errorMessage the error's message ({@code ""} when OK)
 */
public record VersionStatus(long version, String state, String errorCode, String errorMessage) {
  /** Whether this version serves requests. */
  public boolean isAvailable() {
    return "AVAILABLE".equals(state);
  }
}
