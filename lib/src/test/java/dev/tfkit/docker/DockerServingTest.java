package dev.tfkit.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tfkit.cli.CliRun;
import dev.tfkit.config.BatchingParameters;
import dev.tfkit.config.ServedModel;
import dev.tfkit.config.ServingConfig;
import dev.tfkit.io.Ports;
import dev.tfkit.testing.TestDirs;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.GetModelStatus;
import tensorflow.serving.ModelServiceGrpc;

class DockerServingTest {

  @TempDir Path tmp;

  private Path copyModel(String fixture, String name) throws Exception {
    return TestDirs.copyTree(Fixtures.tfServing(fixture), tmp.resolve("models").resolve(name));
  }

  @Test
  void buildsTheSeedsDockerCommand() throws Exception {
    Path hp2 = copyModel("saved_model_half_plus_two_cpu", "half_plus_two");
    Path counter = copyModel("saved_model_counter", "counter");
    DockerServing docker = DockerServing.builder(ServingConfig.of(
            ServedModel.of("half_plus_two", hp2), ServedModel.of("counter", counter)))
        .configFile(tmp.resolve("cfg/models.config"))
        .containerName("tfkit-test")
        .build();

    String program = DockerEngine.program();
    assertThat(docker.command()).containsExactly(
        program, "run", "--rm", "--name", "tfkit-test",
        "-p", "8500:8500", "-p", "8501:8501",
        "--mount", "type=bind,source=" + tmp.resolve("models/half_plus_two") + ",target=/models/half_plus_two",
        "--mount", "type=bind,source=" + tmp.resolve("models/counter") + ",target=/models/counter",
        "--mount", "type=bind,source=" + tmp.resolve("cfg") + ",target=/models/_config",
        "-t", "tensorflow/serving",
        "--model_config_file=/models/_config/models.config");
    assertThat(docker.commandLine()).startsWith(program + " run --rm --name tfkit-test -p 8500:8500 -p 8501:8501 --mount type=bind,source=/");
  }

  @Test
  void gpuBatchingPortsAndImageChangeTheCommand() throws Exception {
    Path hp2 = copyModel("saved_model_half_plus_two_cpu", "hp2");
    DockerServing docker = DockerServing.builder(ServingConfig.of(ServedModel.of("hp2", hp2)))
        .configFile(tmp.resolve("cfg/models.config"))
        .containerName("g")
        .gpu(true)
        .grpcPort(9500).restPort(9501)
        .batching(BatchingParameters.builder().maxBatchSize(16).build())
        .serverArg("--rest_api_timeout_in_ms=5000")
        .build();
    List<String> c = docker.command();
    assertThat(c.subList(0, 11)).containsExactly(
        DockerEngine.program(), "run", "--rm", "--name", "g", "--gpus", "all", "-p", "9500:8500", "-p", "9501:8501");
    assertThat(c.subList(c.indexOf("-t"), c.size())).containsExactly(
        "-t", "tensorflow/serving:latest-gpu",
        "--model_config_file=/models/_config/models.config",
        "--enable_batching=true",
        "--batching_parameters_file=/models/_config/batching.config",
        "--rest_api_timeout_in_ms=5000");

    DockerServing custom = DockerServing.builder(ServingConfig.of(ServedModel.of("hp2", hp2)))
        .configFile(tmp.resolve("cfg/models.config")).image("my/serving:2.14.1").gpu(true).build();
    assertThat(custom.command()).contains("my/serving:2.14.1").doesNotContain("tensorflow/serving:latest-gpu");
  }

  @Test
  void writeFilesWritesContainerPathsThatParseBack() throws Exception {
    Path hp2 = copyModel("saved_model_half_plus_two_2_versions", "hp2");
    DockerServing docker = DockerServing.builder(ServingConfig.of(
            ServedModel.of("hp2", hp2).withSpecificVersions(123, 124).withLabel("canary", 124)))
        .configFile(tmp.resolve("cfg/models.config"))
        .batching(BatchingParameters.builder().maxBatchSize(8).numBatchThreads(2).build())
        .build();
    Path written = docker.writeFiles();

    assertThat(written).isEqualTo(tmp.resolve("cfg/models.config"));
    ServingConfig back = ServingConfig.read(written);
    assertThat(back.models().get(0).basePath()).isEqualTo("/models/hp2");
    assertThat(back.models().get(0).specificVersions()).containsExactly(123L, 124L);
    assertThat(back.models().get(0).labels()).containsEntry("canary", 124L);
    assertThat(Files.readString(written)).doesNotContain(tmp.toString());
    assertThat(BatchingParameters.read(tmp.resolve("cfg/batching.config")).numBatchThreads()).hasValue(2);
  }

  @Test
  void writeFilesRefusesAModelFolderWithoutVersions() throws Exception {
    Path flat = Files.createDirectories(tmp.resolve("flat"));
    DockerServing docker = DockerServing.builder(ServingConfig.of(ServedModel.of("flat", flat)))
        .configFile(tmp.resolve("cfg/models.config")).build();
    assertThatThrownBy(docker::writeFiles)
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model 'flat'");
    assertThat(tmp.resolve("cfg/models.config")).doesNotExist();
  }

  @Test
  void cliDryRunWritesConfigAndPrintsCommand() throws Exception {
    Path hp2 = copyModel("saved_model_half_plus_two_cpu", "half_plus_two");
    Path cfg = tmp.resolve("out/models.config");
    CliRun r = CliRun.tfkit("docker-run", "--model", "half_plus_two=" + hp2, "--config", cfg.toString(),
        "--gpu", "--name", "dry", "--dry-run");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(ServingConfig.read(cfg).models().get(0).basePath()).isEqualTo("/models/half_plus_two");
    String expectedLine = DockerEngine.program() + " run --rm --name dry --gpus all -p 8500:8500 -p 8501:8501"
        + " --mount type=bind,source=" + hp2 + ",target=/models/half_plus_two"
        + " --mount type=bind,source=" + cfg.getParent() + ",target=/models/_config"
        + " -t tensorflow/serving:latest-gpu --model_config_file=/models/_config/models.config";
    assertThat(r.out().lines().toList()).contains(expectedLine);
    assertThat(r.out()).contains("base_path: \"/models/half_plus_two\"");
  }

  @Test
  void cliReadsAnExistingConfigWithoutOverwritingIt() throws Exception {
    Path hp2 = copyModel("saved_model_half_plus_two_cpu", "hp2");
    Path mine = ServingConfig.of(ServedModel.of("hp2", hp2)).write(tmp.resolve("mine.config"));
    String before = Files.readString(mine);
    CliRun r = CliRun.tfkit("docker-run", "--config", mine.toString(), "--name", "x", "--dry-run");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(mine)).isEqualTo(before);
    assertThat(r.out()).contains("target=/models/hp2").contains("base_path: \"/models/hp2\"");
  }

  @Test
  void cliErrorsAreOneClearLine() throws Exception {
    CliRun none = CliRun.tfkit("docker-run", "--dry-run");
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("tfkit docker-run:").contains("--model NAME=PATH");

    CliRun bad = CliRun.tfkit("docker-run", "--model", "noequals", "--dry-run");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("'noequals'");

    CliRun flat = CliRun.tfkit("docker-run", "--model", "flat=" + Files.createDirectories(tmp.resolve("flat")), "--dry-run");
    assertThat(flat.code()).isEqualTo(2);
    assertThat(flat.err()).contains("model 'flat'").contains("no version folders");
  }

  @Test
  void fallsBackWithSameConfigAndPortsWhenNoEngineAnswers() throws Exception {
    var reason = DockerEngine.unavailableReason();
    assumeFalse(reason.isEmpty(), "a Docker engine answers here; the fallback path is not taken");
    Path hp2 = copyModel("saved_model_half_plus_two_cpu", "hp2");
    ServingConfig config = ServingConfig.of(ServedModel.of("hp2", hp2));
    List<String> log = new ArrayList<>();
    DockerServing docker = DockerServing.builder(config).configFile(tmp.resolve("c/models.config"))
        .grpcPort(9600).restPort(9601).logSink(log::add).build();
    AtomicBoolean closed = new AtomicBoolean();
    List<Object> seen = new ArrayList<>();

    try (RunningServing s = docker.startOrFallback((cfg, grpc, rest) -> {
      seen.add(cfg);
      seen.add(grpc);
      seen.add(rest);
      return () -> closed.set(true);
    })) {
      assertThat(s.isDocker()).isFalse();
      assertThat(s.grpcTarget()).isEqualTo("127.0.0.1:9600");
      assertThat(s.restUrl()).isEqualTo("http://127.0.0.1:9601");
    }
    assertThat(seen).containsExactly(config, 9600, 9601);
    assertThat(closed).isTrue();
    assertThat(log).anySatisfy(l -> assertThat(l).contains("no Docker engine"));
    assertThatThrownBy(docker::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no Docker engine answers").hasMessageContaining(reason.get());
  }

  @Test
  void servesHalfPlusTwoInDockerWhenAnEngineAnswers() throws Exception {
    var reason = DockerEngine.unavailableReason();
    assumeTrue(reason.isEmpty(), () -> "skipped: no Docker engine answers (" + reason.orElse("") + ")");
    Path hp2 = copyModel("saved_model_half_plus_two_cpu", "half_plus_two");
    DockerServing docker = DockerServing.builder(ServingConfig.of(ServedModel.of("half_plus_two", hp2)))
        .configFile(tmp.resolve("cfg/models.config")).grpcPort(18500).restPort(18501)
        .startTimeout(Duration.ofMinutes(5)).build();
    try (RunningServing s = docker.start()) {
      assertThat(s.isDocker()).isTrue();
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(s.restUrl() + "/v1/models/half_plus_two:predict"))
              .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [1.0, 2.0, 5.0]}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.body().replace(" ", "")).contains("[2.5,3.0,4.5]");
    }
  }

  /**
   * A stand-in docker client (a shell script) whose "run" prints a TF Serving-like error and exits:
   * start() must notice, stop waiting, and report the log lines.
   */
  @Test
  void startReportsTheServersLogWhenTheContainerExits() throws Exception {
    Path fake = tmp.resolve("fake-docker");
    Files.writeString(fake, String.join("\n",
        "#!/usr/bin/env bash",
        "case \"$1\" in",
        "  info) echo 27.0.1 ;;",
        "  run) echo \"$@\" > \"" + tmp.resolve("run-args") + "\"",
        "       echo 'I tensorflow_serving/model_servers/server.cc:77] Building single TensorFlow model file config'",
        "       echo 'E external/org_tensorflow/config.cc:12] Invalid argument: Expected model_config_list'",
        "       exit 1 ;;",
        "  stop) exit 0 ;;",
        "esac",
        ""));
    fake.toFile().setExecutable(true);
    Path hp2 = copyModel("saved_model_half_plus_two_cpu", "hp2");
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    String old = System.getProperty("tfkit.docker");
    System.setProperty("tfkit.docker", fake.toString());
    try {
      assertThat(DockerEngine.available()).isTrue();
      DockerServing docker = DockerServing.builder(ServingConfig.of(ServedModel.of("hp2", hp2)))
          .configFile(tmp.resolve("cfg/models.config")).containerName("fake1")
          .grpcPort(Ports.freeLoopbackPort()).restPort(Ports.freeLoopbackPort()).logSink(log::add).build();
      assertThatThrownBy(docker::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("stopped before models [hp2]")
          .hasMessageContaining("Invalid argument: Expected model_config_list");
      assertThat(log).anySatisfy(l -> assertThat(l).contains("Building single TensorFlow model"));
      assertThat(Files.readString(tmp.resolve("run-args")).trim())
          .isEqualTo(String.join(" ", docker.command().subList(1, docker.command().size())));
      assertThat(tmp.resolve("cfg/models.config")).isRegularFile();
    } finally {
      if (old == null) {
        System.clearProperty("tfkit.docker");
      } else {
        System.setProperty("tfkit.docker", old);
      }
    }
  }


  /**
   * The whole start/close path with a stand-in docker client that "runs" a sleeping process, while a
   * ModelService on the host gRPC port (loopback) reports the model AVAILABLE.
   */
  @Test
  void startWaitsForAvailableStreamsLogsAndStopsTheContainerOnClose() throws Exception {
    Path fake = tmp.resolve("fake-docker");
    Files.writeString(fake, String.join("\n",
        "#!/usr/bin/env bash",
        "case \"$1\" in",
        "  info) echo 27.0.1 ;;",
        // Written whole and renamed: the model service answers AVAILABLE once the file exists,
        // and the test then reads the pid (a bare redirect could be seen empty).
        "  run) echo $$ > \"" + tmp.resolve("run.pid.tmp") + "\" && mv \"" + tmp.resolve("run.pid.tmp") + "\" \"" + tmp.resolve("run.pid") + "\"",
        "       echo 'I tensorflow_serving/model_servers/server.cc:423] Running gRPC ModelServer at 0.0.0.0:8500 ...'",
        "       exec sleep 120 ;;",
        "  stop) echo \"$@\" > \"" + tmp.resolve("stop-args") + "\"",
        "        kill \"$(cat \"" + tmp.resolve("run.pid") + "\")\" ;;",
        "esac",
        ""));
    fake.toFile().setExecutable(true);
    Server modelService = NettyServerBuilder
        .forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new ModelServiceGrpc.ModelServiceImplBase() {
          @Override
          public void getModelStatus(GetModelStatus.GetModelStatusRequest req,
              StreamObserver<GetModelStatus.GetModelStatusResponse> obs) {
            // Like TF Serving: no model until the "container" runs.
            if (!Files.exists(tmp.resolve("run.pid"))) {
              obs.onError(Status.UNAVAILABLE.asRuntimeException());
              return;
            }
            obs.onNext(GetModelStatus.GetModelStatusResponse.newBuilder()
                .addModelVersionStatus(GetModelStatus.ModelVersionStatus.newBuilder()
                    .setVersion(123).setState(GetModelStatus.ModelVersionStatus.State.AVAILABLE))
                .build());
            obs.onCompleted();
          }
        }).build().start();
    Path hp2 = copyModel("saved_model_half_plus_two_cpu", "hp2");
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    String old = System.getProperty("tfkit.docker");
    System.setProperty("tfkit.docker", fake.toString());
    try {
      DockerServing docker = DockerServing.builder(ServingConfig.of(ServedModel.of("hp2", hp2)))
          .configFile(tmp.resolve("cfg/models.config")).containerName("fake2")
          .grpcPort(modelService.getPort()).restPort(Ports.freeLoopbackPort()).logSink(log::add).build();
      RunningServing server = docker.start();
      assertThat(server.isDocker()).isTrue();
      assertThat(server.containerName()).hasValue("fake2");
      assertThat(server.grpcTarget()).isEqualTo("127.0.0.1:" + modelService.getPort());
      assertThat(server.isStopped()).isFalse();

      server.close();
      server.awaitStop();
      assertThat(Files.readString(tmp.resolve("stop-args")).trim()).isEqualTo("stop -t 10 fake2");
      assertThat(server.isStopped()).isTrue();
      assertThat(server.recentLogs()).contains("Running gRPC ModelServer");
      assertThat(log).anySatisfy(l -> assertThat(l).contains("Running gRPC ModelServer"));

      // A container that ends by itself also ends awaitStop (the CLI then reports it).
      Files.delete(tmp.resolve("run.pid"));
      RunningServing again = docker.start();
      long pid = Long.parseLong(Files.readString(tmp.resolve("run.pid")).trim());
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
      again.awaitStop();
      assertThat(again.isStopped()).isTrue();
      again.close();
    } finally {
      modelService.shutdownNow();
      if (old == null) {
        System.clearProperty("tfkit.docker");
      } else {
        System.setProperty("tfkit.docker", old);
      }
    }
  }
}
