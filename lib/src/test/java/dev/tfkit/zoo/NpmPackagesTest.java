package dev.tfkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fetch logic around {@code npm pack}, with stand-in npm scripts (the real npm and the real
 * packages are exercised by {@code FaceModelsTest} and the notebooks).
 */
class NpmPackagesTest {
  @TempDir Path tmp;

  private Path script(String name, String body) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  @Test
  void aMissingNpmSaysWhatToDoAndWhereThePackageGoes() {
    Path cache = tmp.resolve("cache");
    String npm = tmp.resolve("no-such-npm").toString();
    assertThatThrownBy(() -> NpmPackages.fetch(cache, npm, "@scope/pkg", "1.2.3"))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot fetch npm package @scope/pkg@1.2.3")
        .hasMessageContaining("'" + npm + "' could not be started (No such file or directory)")
        .hasMessageContaining("TFKIT_NPM")
        .hasMessageContaining(cache.resolve("npm/@scope+pkg@1.2.3/package").toString());
    assertThat(cache.resolve("npm/@scope+pkg@1.2.3")).doesNotExist();
  }

  @Test
  void aFailingNpmIsReportedWithItsOutputAndLeavesNothingBehind() throws Exception {
    Path cache = tmp.resolve("cache");
    Path npm = script("npm", "echo 'npm error 404 Not Found - pkg@9.9.9' >&2\nexit 1\n");
    assertThatThrownBy(() -> NpmPackages.fetch(cache, npm.toString(), "pkg", "9.9.9"))
        .hasMessageContaining("failed (exit 1): npm error 404 Not Found - pkg@9.9.9");
    try (var s = Files.list(cache.resolve("npm"))) {
      assertThat(s.toList()).as("the temporary fetch folder is removed").isEmpty();
    }
  }

  @Test
  void aPackedPackageIsUnpackedOnceAndThenServedFromTheCache() throws Exception {
    Path cache = tmp.resolve("cache");
    Path count = tmp.resolve("calls");
    // Packs a package/ folder with one file, like npm pack does; counts its calls.
    Path npm = script("npm", "echo x >> " + count + "\n"
        + "dest=$5; mkdir -p \"$dest/src/package\" && echo hello > \"$dest/src/package/model.json\" && "
        + "tar -czf \"$dest/pkg-1.0.0.tgz\" -C \"$dest/src\" package && rm -r \"$dest/src\"\n");
    Path pkg = NpmPackages.fetch(cache, npm.toString(), "pkg", "1.0.0");
    assertThat(pkg).isEqualTo(cache.resolve("npm/pkg@1.0.0/package"));
    assertThat(Files.readString(pkg.resolve("model.json"))).isEqualTo("hello\n");
    assertThat(NpmPackages.fetch(cache, npm.toString(), "pkg", "1.0.0")).isEqualTo(pkg);
    assertThat(Files.readAllLines(count)).as("npm ran once").hasSize(1);
  }

  @Test
  void namesAndVersionsAreCheckedBeforeAnythingRuns() {
    Path cache = tmp.resolve("cache");
    assertThatThrownBy(() -> NpmPackages.fetch(cache, "npm", "../evil", "1.0.0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an npm package name: '../evil'");
    assertThatThrownBy(() -> NpmPackages.fetch(cache, "npm", "pkg", "latest"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an exact npm version: 'latest' for pkg");
    assertThat(cache).doesNotExist();
  }
}
