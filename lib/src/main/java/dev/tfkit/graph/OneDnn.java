package dev.tfkit.graph;

import java.util.Locale;
import java.util.Map;

/**
 * Whether TensorFlow runs its oneDNN graph rewrites and kernels in this process, as decided by
 * {@code TF_ENABLE_ONEDNN_OPTS} when TensorFlow's native library loads (on by default on x86
 * Linux). They change results slightly — a fused hard-swish with an exact 1/6 instead of a model's
 * rounded constant, for one — so comparisons against TF.js run with them off. Set it with {@code
 * ./tfkit --onednn on|off}, {@code TFKIT_ONEDNN=on|off}, or TensorFlow's own variable; it cannot
 * change once TensorFlow is loaded.
 */
public final class OneDnn {
  /** TensorFlow's own switch, read once when its native library loads. */
  public static final String ENV = "TF_ENABLE_ONEDNN_OPTS";

  private OneDnn() {}

  /** Whether oneDNN is on for a process started with {@code env}. */
  public static boolean enabled(Map<String, String> env) {
    String v = env.get(ENV);
    if (v == null || v.isBlank()) {
      String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
      return arch.contains("amd64") || arch.contains("x86_64");
    }
    String t = v.trim().toLowerCase(Locale.ROOT);
    return t.equals("1") || t.equals("true") || t.equals("on");
  }

  /** Whether oneDNN is on in this process. */
  public static boolean enabled() {
    return enabled(System.getenv());
  }

  /** One line for {@code show} and {@code doctor}: the state, where it came from, how to change it. */
  public static String describe(Map<String, String> env) {
    boolean on = enabled(env);
    String source = env.get(ENV) == null ? "TensorFlow's default" : ENV + "=" + env.get(ENV);
    return "oneDNN " + (on ? "on" : "off") + " (" + source + "; ./tfkit --onednn " + (on ? "off" : "on")
        + " changes it" + (on ? "; results differ slightly from TF.js and from runs with it off" : "") + ")";
  }
}
