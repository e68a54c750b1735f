package dev.tfkit.kernel.display;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rendering as only some MIME types: what {@code display(x, types...)} and {@code render} show. */
class DisplayRegistryTest {
  private final DisplayRegistry registry = DisplayRegistry.withDefaults();

  @Test
  void textAskedForAsATypeIsTakenToBeThatType() {
    MimeBundle b = registry.render("<b>x</b>", w -> {}, "text/html");
    assertThat(b.data()).containsEntry("text/html", "<b>x</b>").containsEntry("text/plain", "<b>x</b>");
  }

  @Test
  void onlyTheTypesAskedForAreKept() {
    DisplayData d = new DisplayData("plain");
    d.putHTML("<i>html</i>");
    d.putMarkdown("*md*");
    MimeBundle b = registry.render(d, w -> {}, "text/markdown");
    assertThat(b.data()).containsOnlyKeys("text/markdown");
    assertThat(registry.render(d, w -> {}).data()).containsKeys("text/plain", "text/html", "text/markdown");
  }

  @Test
  void aTypeTheValueDoesNotRenderAsFallsBackToItsText() {
    MimeBundle b = registry.render(List.of(1, 2), w -> {}, "image/png");
    assertThat(b.data()).containsOnlyKeys("text/plain");
    assertThat(b.plainText()).contains("1").contains("2");
  }

  @Test
  void aDisplayIdSurvivesTheFilter() {
    DisplayData d = new DisplayData("plain");
    d.putHTML("<i>html</i>");
    d.setDisplayId("keep-me");
    List<String> warnings = new ArrayList<>();
    MimeBundle b = registry.render(d, warnings::add, "text/html");
    assertThat(b.displayId()).hasValue("keep-me");
    assertThat(b.data()).containsOnlyKeys("text/html");
    assertThat(warnings).isEmpty();
  }
}
