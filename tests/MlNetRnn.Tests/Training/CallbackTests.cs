using System.Globalization;
using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;
using static MlNetRnn.Tests.Training.TrainingTestModels;

namespace MlNetRnn.Tests.Training;

[TestClass]
public sealed class CallbackTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void EarlyStopping_StopsAfterPatienceAndRestoresTheBestEpochsWeights()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(2);
        using var recorder = new WeightRecorder();
        var stopping = new EarlyStopping("score", patience: 2, restoreBestWeights: true);
        // "score" is neither accuracy-like nor a loss: auto mode minimises it. Best at epoch 1 (0.3); epochs 2 and 3 do not improve.
        var history = model.Fit(x, y, epochs: 10, batchSize: 3, verbose: 0,
            callbacks: [new ScriptedValue("score", 0.5, 0.3, 0.4, 0.3, 0.1, 0.1), recorder, stopping]);
        Assert.AreEqual(4, history.Epochs, "stops at epoch 3 (0-based), two epochs after the best");
        Assert.AreEqual(3, stopping.StoppedEpoch);
        Assert.AreEqual(1, stopping.BestEpoch);
        Assert.IsTrue(SameWeights(recorder.Snapshots[1], model.GetWeights()), "epoch 1's weights are back");
        Assert.IsFalse(SameWeights(recorder.Snapshots[3], model.GetWeights()));
    }

    [TestMethod]
    public void EarlyStopping_MaxModeMinDeltaAndStartFromEpoch()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(2);
        using var recorder = new WeightRecorder();
        // val_accuracy is maximised. Epoch 0 is ignored (startFromEpoch 1); 0.62 is not better than 0.6 by more than 0.05.
        var stopping = new EarlyStopping("val_accuracy", minDelta: 0.05, patience: 1, restoreBestWeights: false, startFromEpoch: 1);
        var history = model.Fit(x, y, epochs: 10, batchSize: 3, verbose: 0,
            callbacks: [new ScriptedValue("val_accuracy", 0.9, 0.6, 0.62, 0.9), recorder, stopping]);
        Assert.AreEqual(3, history.Epochs);
        Assert.AreEqual(1, stopping.BestEpoch);
        Assert.AreEqual(0.6, stopping.Best);
        Assert.IsTrue(SameWeights(recorder.Snapshots[2], model.GetWeights()), "without restoreBestWeights the last weights stay");
    }

    [TestMethod]
    public void ReduceLROnPlateau_ReducesAfterPatienceAndLogsTheRate()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(2);
        var history = model.Fit(x, y, epochs: 6, batchSize: 3, verbose: 0, callbacks:
        [
            new ScriptedValue("val_loss", 1.0, 1.0, 1.0, 0.5, 0.5, 0.5),
            new ReduceLROnPlateau(factor: 0.5, patience: 2, minDelta: 0),
        ]);
        // Logged before the epoch's reduction, as Keras does.
        CollectionAssert.AreEqual(new[] { 0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0005 }, history["learning_rate"].ToArray());
        Assert.AreEqual(0.00025, model.Optimizer!.LearningRate);
    }

    [TestMethod]
    public void ReduceLROnPlateau_CooldownAndFloor()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(2);
        model.Fit(x, y, epochs: 5, batchSize: 3, verbose: 0, callbacks:
        [
            new ScriptedValue("val_loss", 1, 1, 1, 1, 1),
            new ReduceLROnPlateau(factor: 0.1, patience: 1, cooldown: 2, minLearningRate: 5e-5),
        ]);
        // Epoch 1: 1e-3 → 1e-4, then two cooldown epochs; epoch 4: 1e-4 → max(1e-5, 5e-5).
        Assert.AreEqual(5e-5, model.Optimizer!.LearningRate, 1e-18);
    }

    [TestMethod]
    public void LearningRateScheduler_SetsTheRateUsedByEachEpoch()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(2, optimizer: new SGD(learningRate: 0.1));
        using var recorder = new WeightRecorder();
        // Epoch 1 trains with a zero learning rate, so its weights are epoch 0's.
        var history = model.Fit(x, y, epochs: 4, batchSize: 3, verbose: 0, callbacks:
        [
            new LearningRateScheduler((epoch, rate) => epoch == 1 ? 0 : epoch == 2 ? 0.05 : rate),
            recorder,
        ]);
        CollectionAssert.AreEqual(new[] { 0.1, 0, 0.05, 0.05 }, history["learning_rate"].ToArray());
        Assert.IsTrue(SameWeights(recorder.Snapshots[0], recorder.Snapshots[1]));
        Assert.IsFalse(SameWeights(recorder.Snapshots[1], recorder.Snapshots[2]));
    }

    [TestMethod]
    public void CSVLogger_WritesSortedColumnsAndAppends()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(2, metrics: ["accuracy"]);
        var path = Path.Combine(TestContext.TestRunResultsDirectory ?? Path.GetTempPath(), $"log-{Guid.NewGuid():N}.csv");
        try
        {
            var first = model.Fit(x, y, epochs: 2, batchSize: 3, verbose: 0, validationData: (x, y), callbacks: [new CSVLogger(path)]);
            var second = model.Fit(x, y, epochs: 1, batchSize: 3, verbose: 0, validationData: (x, y), callbacks: [new CSVLogger(path, append: true)]);
            string Row(int epoch, History h, int i) => string.Join(",", new[] { epoch.ToString(CultureInfo.InvariantCulture) }
                .Concat(new[] { "accuracy", "loss", "val_accuracy", "val_loss" }.Select(k => h[k][i].ToString("R", CultureInfo.InvariantCulture))));
            CollectionAssert.AreEqual(
                new[] { "epoch,accuracy,loss,val_accuracy,val_loss", Row(0, first, 0), Row(1, first, 1), Row(0, second, 0) },
                File.ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries));

            model.Fit(x, y, epochs: 1, batchSize: 3, verbose: 0, callbacks: [new CSVLogger(path, separator: ";")]);
            var lines = File.ReadAllLines(path);
            Assert.HasCount(2, lines, "without append the file starts over");
            Assert.AreEqual("epoch;accuracy;loss", lines[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ModelCheckpoint_SavesTheBestWeightsUnderFormattedNames()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(2);
        using var recorder = new WeightRecorder();
        var folder = Path.Combine(Path.GetTempPath(), $"checkpoints-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var pattern = Path.Combine(folder, "w-{epoch:02d}-{val_loss:.2f}.weights");
            model.Fit(x, y, epochs: 4, batchSize: 3, verbose: 0, callbacks:
            [
                new ScriptedValue("val_loss", 0.5, 0.7, 0.25, 0.3),
                recorder,
                new ModelCheckpoint(pattern, saveBestOnly: true, saveWeightsOnly: true),
            ]);
            CollectionAssert.AreEqual(new[] { "w-01-0.50.weights", "w-03-0.25.weights" },
                Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
            using var fresh = Seed(9);
            fresh.LoadWeights(Path.Combine(folder, "w-03-0.25.weights"));
            Assert.IsTrue(SameWeights(recorder.Snapshots[2], fresh.GetWeights()));

            File.WriteAllBytes(Path.Combine(folder, "bad.weights"), [1, 2, 3]);
            Assert.ThrowsExactly<InvalidDataException>(() => fresh.LoadWeights(Path.Combine(folder, "bad.weights")));
            var e = Assert.ThrowsExactly<ArgumentException>(() => new ModelCheckpoint(Path.Combine(folder, "{epoch:x}")));
            StringAssert.Contains(e.Message, "'x'");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ModelCheckpoint_WholeModel_WritesAFileThatLoadsAsTheLastEpochsModel()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(2);
        var path = Path.Combine(Path.GetTempPath(), $"checkpoint-{Guid.NewGuid():N}.mlnetrnn");
        try
        {
            model.Fit(x, y, epochs: 3, batchSize: 3, verbose: 0, callbacks: [new ModelCheckpoint(path, monitor: "loss")]);
            using var loaded = Model.Load(path);
            Assert.AreEqual(model.ToJson(), loaded.ToJson());
            Assert.IsTrue(SameWeights(model.GetWeights(), loaded.GetWeights()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
