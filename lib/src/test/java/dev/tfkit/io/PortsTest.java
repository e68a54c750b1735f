package dev.tfkit.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PortsTest {

  @Test
  void aFreePortCanBeBoundOn127001() throws Exception {
    int port = Ports.freeLoopbackPort();
    assertThat(port).isBetween(1, 65535);
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThat(s.getLocalPort()).isEqualTo(port);
    }
  }

  @Test
  void severalPortsAreDistinctAndAllBindable() throws Exception {
    int[] ports = Ports.freeLoopbackPorts(5);
    assertThat(ports).hasSize(5);
    assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(5);
    ServerSocket[] bound = new ServerSocket[5];
    try {
      for (int i = 0; i < 5; i++) {
        bound[i] = new ServerSocket(ports[i], 1, InetAddress.getByName("127.0.0.1"));
      }
    } finally {
      for (ServerSocket s : bound) {
        if (s != null) s.close();
      }
    }
  }

  @Test
  void aPortInUseIsNotReturned() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      for (int p : Ports.freeLoopbackPorts(20)) {
        assertThat(p).isNotEqualTo(taken.getLocalPort());
      }
    }
  }

  @Test
  void askingForNoPortsIsAnError() {
    assertThatThrownBy(() -> Ports.freeLoopbackPorts(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }
}
