package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IdleHeapReturnTest {
  @Test
  void setsThePeriodicCollectionOnceAndLeavesASetValueAlone() {
    HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    boolean g1 = ManagementFactory.getGarbageCollectorMXBeans().stream().anyMatch(gc -> gc.getName().startsWith("G1 "));
    String before = hotspot.getVMOption("G1PeriodicGCInterval").getValue();
    boolean set = IdleHeapReturn.enableIfUnset(Duration.ofSeconds(45));
    try {
      if (g1 && before.equals("0")) {
        assertThat(set).isTrue();
        assertThat(hotspot.getVMOption("G1PeriodicGCInterval").getValue()).isEqualTo("45000");
      }
      // Once set (by us or by the user), a second call changes nothing.
      String now = hotspot.getVMOption("G1PeriodicGCInterval").getValue();
      assertThat(IdleHeapReturn.enableIfUnset(Duration.ofSeconds(5))).isFalse();
      assertThat(hotspot.getVMOption("G1PeriodicGCInterval").getValue()).isEqualTo(now);
    } finally {
      if (set) hotspot.setVMOption("G1PeriodicGCInterval", before);
    }
  }
}
