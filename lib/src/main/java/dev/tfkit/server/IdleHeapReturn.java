package dev.tfkit.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Lets a serving JVM give its heap back to the operating system when it goes quiet. A burst of
 * large requests (or junk claiming to be large) grows G1's committed heap, and G1 keeps it
 * committed as long as only young collections run, so the process's RSS stays at its peak; a
 * periodic collection after an idle interval ({@code G1PeriodicGCInterval}, a flag that can be set
 * at run time) shrinks the heap back. Measured with {@code FuzzMemoryBench}: see docs/server.md.
 */
public final class IdleHeapReturn {
  private static final Logger LOG = Logger.getLogger("dev.tfkit.server");
  private static final String FLAG = "G1PeriodicGCInterval";

  private IdleHeapReturn() {}

  /**
   * Sets {@code G1PeriodicGCInterval} to {@code interval} when the JVM runs G1 and the user has not
   * set the flag; returns whether it was set. Under load young collections run often and no
   * periodic one is started, so it costs nothing while serving.
   */
  public static boolean enableIfUnset(Duration interval) {
    boolean g1 = false;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      g1 |= gc.getName().startsWith("G1 ");
    }
    if (!g1) return false;
    try {
      HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      VMOption option = hotspot.getVMOption(FLAG);
      if (option.getOrigin() != VMOption.Origin.DEFAULT) return false; // the user's choice wins
      hotspot.setVMOption(FLAG, Long.toString(interval.toMillis()));
      return true;
    } catch (RuntimeException notAvailable) {
      // Not HotSpot, or the flag is not writable here: the heap simply stays as G1 leaves it.
      LOG.fine("cannot set " + FLAG + ": " + notAvailable);
      return false;
    }
  }
}
