# The models image for deployment.yaml's init container: SavedModels as /models-src/<name>/<version>/.
#   docker build -f docker/k8s/models.Dockerfile -t tfkit/models:latest <folder with half_plus_two/ and counter/>
FROM busybox:1.36
COPY . /models-src/
