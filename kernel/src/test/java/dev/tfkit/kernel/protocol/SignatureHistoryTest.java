package dev.tfkit.kernel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SignatureHistoryTest {
  @Test
  void aSignatureIsAcceptedOnce() {
    SignatureHistory h = new SignatureHistory(8);
    assertThat(h.add("a")).isTrue();
    assertThat(h.add("b")).isTrue();
    assertThat(h.add("a")).isFalse();
  }

  @Test
  void staysBoundedAndForgetsTheOldestHalfFirst() {
    SignatureHistory h = new SignatureHistory(8);
    for (int i = 0; i < 1000; i++) h.add("s" + i);
    assertThat(h.size()).isLessThanOrEqualTo(8);
    // The most recent ones are still known; the first ones were forgotten.
    assertThat(h.add("s999")).isFalse();
    assertThat(h.add("s998")).isFalse();
    assertThat(h.add("s0")).isTrue();
  }
}
