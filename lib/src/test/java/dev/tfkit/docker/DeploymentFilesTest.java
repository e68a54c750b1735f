package dev.tfkit.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpServer;
import dev.tfkit.config.ServedModel;
import dev.tfkit.config.ServingConfig;
import dev.tfkit.zoo.Fixtures;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** The compose, notebook image and Kubernetes files under docker/, parsed and checked structurally. */
class DeploymentFilesTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Path DOCKER = Fixtures.repoRoot().resolve("docker");

  private static JsonNode yaml(String relative) throws Exception {
    return YAML.readTree(DOCKER.resolve(relative).toFile());
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** ${VAR:-default} expanded as compose does: the variable's value when set, else the default. */
  private static String composeDefault(String s) {
    var m = Pattern.compile("\\$\\{([A-Z_]+):-([^}]*)}").matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String env = System.getenv(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(
          env == null || env.isEmpty() ? m.group(2) : env));
    }
    return m.appendTail(out).toString();
  }

  @Test
  void composeServesEveryConfiguredModelFromItsMount() throws Exception {
    JsonNode serving = yaml("compose.yaml").path("services").path("serving");
    assertThat(serving.path("image").asText()).isEqualTo("tensorflow/serving:latest");
    assertThat(texts(serving.path("ports"))).containsExactly("8500:8500", "8501:8501");

    List<String> command = texts(serving.path("command"));
    assertThat(command).contains("--model_config_file=/models/_config/models.config");

    Map<String, String> mounts = new HashMap<>();
    serving.path("volumes").forEach(v -> {
      assertThat(v.path("type").asText()).isEqualTo("bind");
      mounts.put(v.path("target").asText(), composeDefault(v.path("source").asText()));
    });
    assertThat(mounts).containsEntry("/models/_config", "./serving");
    assertThat(DOCKER.resolve("serving/healthcheck.sh")).isRegularFile();

    // Every model in models.config has its base path mounted from a real model folder.
    ServingConfig config = ServingConfig.read(DOCKER.resolve("serving/models.config"));
    assertThat(config.modelNames()).hasSize(4);
    List<ServedModel> onHost = new ArrayList<>();
    for (ServedModel m : config.models()) {
      assertThat(mounts).containsKey(m.basePath());
      Path source = DOCKER.resolve(mounts.get(m.basePath())).normalize();
      onHost.add(m.withBasePath(source.toString()));
    }
    ServingConfig.of(onHost).checkModelFolders();

    // The health check asks the REST status endpoint about every configured model.
    List<String> test = texts(serving.path("healthcheck").path("test"));
    assertThat(test.subList(0, 3)).containsExactly("CMD", "bash", "/models/_config/healthcheck.sh");
    assertThat(test.subList(3, test.size())).containsExactlyInAnyOrderElementsOf(config.modelNames());
  }

  @Test
  void composeGpuOverrideUsesGpuImageAndReservesDevices() throws Exception {
    JsonNode serving = yaml("compose.gpu.yaml").path("services").path("serving");
    assertThat(serving.path("image").asText()).isEqualTo("tensorflow/serving:latest-gpu");
    JsonNode device = serving.path("deploy").path("resources").path("reservations").path("devices").get(0);
    assertThat(device.path("driver").asText()).isEqualTo("nvidia");
    assertThat(device.path("count").asText()).isEqualTo("all");
    assertThat(texts(device.path("capabilities"))).containsExactly("gpu");
  }

  @Test
  void composeNotebookServiceBuildsTheNotebookImageNextToServing() throws Exception {
    JsonNode notebook = yaml("compose.yaml").path("services").path("notebook");
    assertThat(notebook.path("build").path("dockerfile").asText()).isEqualTo("docker/notebook/Dockerfile");
    Path context = DOCKER.resolve(notebook.path("build").path("context").asText()).normalize();
    assertThat(context).isEqualTo(Fixtures.repoRoot().normalize());
    assertThat(context.resolve(notebook.path("build").path("dockerfile").asText())).isRegularFile();
    assertThat(texts(notebook.path("ports"))).containsExactly("8888:8888");
    assertThat(notebook.path("depends_on").path("serving").path("condition").asText())
        .isEqualTo("service_healthy");
    assertThat(notebook.path("environment").path("TFKIT_SERVING_GRPC").asText()).isEqualTo("serving:8500");

    String dockerfile = Files.readString(DOCKER.resolve("notebook/Dockerfile"));
    assertThat(dockerfile).contains("FROM debian:").contains("openjdk-17-jdk-headless")
        .contains("jupyter-notebook").contains("./tfkit kernel install").contains("EXPOSE 8888");
  }

  @Test
  void kubernetesDeploymentServiceAndAutoscalerFitTogether() throws Exception {
    JsonNode deployment = yaml("k8s/deployment.yaml");
    JsonNode service = yaml("k8s/service.yaml");
    JsonNode hpa = yaml("k8s/hpa.yaml");
    JsonNode configMap = yaml("k8s/configmap.yaml");

    assertThat(deployment.path("kind").asText()).isEqualTo("Deployment");
    JsonNode pod = deployment.path("spec").path("template");
    JsonNode selector = deployment.path("spec").path("selector").path("matchLabels");
    selector.fields().forEachRemaining(e ->
        assertThat(pod.path("metadata").path("labels").path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));

    JsonNode container = pod.path("spec").path("containers").get(0);
    assertThat(container.path("image").asText()).startsWith("tensorflow/serving");
    Map<String, Integer> ports = new HashMap<>();
    container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
    assertThat(ports).containsEntry("grpc", 8500).containsEntry("http", 8501);
    assertThat(texts(container.path("args"))).contains("--model_config_file=/config/models.config");

    Map<String, String> mounts = new HashMap<>();
    container.path("volumeMounts").forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
    assertThat(mounts).containsEntry("models", "/models").containsEntry("config", "/config");
    List<String> volumes = new ArrayList<>();
    pod.path("spec").path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
    assertThat(volumes).containsExactlyInAnyOrder("models", "config");
    JsonNode init = pod.path("spec").path("initContainers").get(0);
    assertThat(init.path("volumeMounts").get(0).path("name").asText()).isEqualTo("models");

    // The ConfigMap's models.config is a valid config whose base paths live on the models volume.
    ServingConfig config = ServingConfig.parse(configMap.path("data").path("models.config").asText(), "configmap.yaml");
    assertThat(config.models()).allSatisfy(m -> assertThat(m.basePath()).startsWith("/models/"));
    assertThat(configMap.path("data").path("healthcheck.sh").asText()).contains("/v1/models/");

    // Probes use the REST status endpoint of configured models.
    JsonNode readiness = container.path("readinessProbe").path("exec").path("command");
    List<String> readyCmd = texts(readiness);
    assertThat(readyCmd.subList(0, 2)).containsExactly("bash", "/config/healthcheck.sh");
    assertThat(readyCmd.subList(2, readyCmd.size())).containsExactlyInAnyOrderElementsOf(config.modelNames());
    JsonNode liveness = container.path("livenessProbe").path("httpGet");
    assertThat(liveness.path("path").asText()).startsWith("/v1/models/");
    assertThat(config.modelNames()).contains(liveness.path("path").asText().substring("/v1/models/".length()));
    assertThat(liveness.path("port").asText()).isEqualTo("http");

    // Headless service over the same pods, both ports.
    assertThat(service.path("spec").path("clusterIP").asText()).isEqualTo("None");
    assertThat(service.path("spec").path("selector")).isEqualTo(selector);
    Map<Integer, String> servicePorts = new HashMap<>();
    service.path("spec").path("ports").forEach(p -> servicePorts.put(p.path("port").asInt(), p.path("targetPort").asText()));
    assertThat(servicePorts).containsEntry(8500, "grpc").containsEntry(8501, "http");

    // The autoscaler scales this deployment on CPU, which the container requests.
    assertThat(hpa.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
    assertThat(hpa.path("spec").path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
    assertThat(hpa.path("spec").path("scaleTargetRef").path("name").asText())
        .isEqualTo(deployment.path("metadata").path("name").asText());
    assertThat(hpa.path("spec").path("minReplicas").asInt()).isGreaterThanOrEqualTo(1)
        .isLessThan(hpa.path("spec").path("maxReplicas").asInt());
    assertThat(StreamSupport.stream(hpa.path("spec").path("metrics").spliterator(), false)
        .map(m -> m.path("resource").path("name").asText())).contains("cpu");
    assertThat(container.path("resources").path("requests").path("cpu").isMissingNode()).isFalse();
  }

  /** Runs docker/serving/healthcheck.sh against a loopback HTTP server answering like TF Serving. */
  private static int runHealthcheck(Map<String, String> stateByModel, String... models) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/models/", ex -> {
      String model = ex.getRequestURI().getPath().substring("/v1/models/".length());
      String state = stateByModel.get(model);
      byte[] body = (state == null
          ? "{ \"error\": \"Servable not found for request: Latest(" + model + ")\" }"
          : "{\n \"model_version_status\": [\n  {\n   \"version\": \"123\",\n   \"state\": \"" + state
              + "\",\n   \"status\": {\n    \"error_code\": \"OK\",\n    \"error_message\": \"\"\n   }\n  }\n ]\n}\n")
          .getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(state == null ? 404 : 200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    try {
      List<String> cmd = new ArrayList<>(List.of("bash", DOCKER.resolve("serving/healthcheck.sh").toString()));
      cmd.addAll(List.of(models));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("TFSERVING_REST_PORT", String.valueOf(server.getAddress().getPort()));
      Process p = pb.start();
      p.getInputStream().readAllBytes();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return p.exitValue();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void healthcheckScriptIsHealthyOnlyWhenEveryModelIsAvailable() throws Exception {
    assertThat(runHealthcheck(Map.of("a", "AVAILABLE", "b", "AVAILABLE"), "a", "b")).isZero();
    assertThat(runHealthcheck(Map.of("a", "AVAILABLE", "b", "LOADING"), "a", "b")).isEqualTo(1);
    assertThat(runHealthcheck(Map.of("a", "AVAILABLE"), "a", "missing")).isEqualTo(1);
    assertThat(runHealthcheck(Map.of())).isEqualTo(2);
  }
}
