package dev.tfkit.io;

import io.grpc.alts.InternalCheckGcpEnvironment;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Whether this machine is a Google Cloud VM, the place ALTS' default handshaker service exists. */
public final class GoogleCloud {
  /*
   * grpc-java's check reads the machine's DMI product name and, where a container has none, logs a
   * WARNING with a stack trace for the missing file. tfkit says what that means in its own words
   * (no handshaker without Google Cloud), so that logger is kept to errors. Held here: JUL keeps
   * loggers only weakly, and a collected logger would forget its level.
   */
  private static final Logger GRPC_CHECK = Logger.getLogger("io.grpc.alts.InternalCheckGcpEnvironment");

  static {
    GRPC_CHECK.setLevel(Level.SEVERE);
  }

  private GoogleCloud() {}

  /** Whether this machine runs on Google Cloud (grpc-java's check, the one its ALTS uses). */
  public static boolean isThisMachine() {
    return InternalCheckGcpEnvironment.isOnGcp();
  }
}
