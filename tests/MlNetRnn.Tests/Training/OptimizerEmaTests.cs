using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Training;

/// <summary>Keras's weight averaging (use_ema, ema_momentum, ema_overwrite_frequency) against hand-computed values.</summary>
[TestClass]
public sealed class OptimizerEmaTests
{
    // Adam with β₁ = 0 and ε = 0 on the loss sum(w) moves w by exactly −lr each step (m = g, √v̂ = |g|), so the
    // weights are 10 − t after t steps and the averages are simple to write down.
    private static (Adam Adam, Tensor Weight) Build(double momentum, int? overwriteFrequency)
    {
        var adam = new Adam(learningRate: 1, beta1: 0, epsilon: 0, useEma: true, emaMomentum: momentum, emaOverwriteFrequency: overwriteFrequency);
        var weight = tensor(new[] { 10.0 }, ScalarType.Float64).requires_grad_(true);
        adam.Build([weight]);
        return (adam, weight);
    }

    private static void Step(Adam adam, Tensor weight)
    {
        using (var loss = weight.sum()) loss.backward();
        adam.Step();
    }

    [TestMethod]
    public void MovingAverage_StartsAtTheWeights_ThenMixesByMomentum_AndFinalizeKeepsIt()
    {
        using var scope = NewDisposeScope();
        var (adam, weight) = Build(momentum: 0.5, overwriteFrequency: null);
        double[] weights = [9, 8, 7];
        double[] averages = [9, 0.5 * 9 + 0.5 * 8, 0.5 * 8.5 + 0.5 * 7];
        for (int t = 0; t < 3; t++)
        {
            Step(adam, weight);
            Assert.AreEqual(weights[t], weight.item<double>(), 1e-12, $"weight after step {t + 1}");
            Assert.AreEqual(averages[t], adam.MovingAverages![0].item<double>(), 1e-12, $"average after step {t + 1}");
        }
        adam.SwapWeightsWithAverages();
        Assert.AreEqual(7.75, weight.item<double>(), 1e-12, "the average swapped in");
        Assert.AreEqual(7.0, adam.MovingAverages![0].item<double>(), 1e-12, "the weight kept in its place");
        adam.SwapWeightsWithAverages();
        Assert.AreEqual(7.0, weight.item<double>(), 1e-12, "swapped back");
        Assert.AreEqual(7.75, adam.MovingAverages![0].item<double>(), 1e-12);
        adam.FinalizeVariableValues();
        Assert.AreEqual(7.75, weight.item<double>(), 1e-12);
        adam.Release();
    }

    [TestMethod]
    public void Warmup_CapsTheMomentumAtStepTBy1PlusTOver10PlusT()
    {
        using var scope = NewDisposeScope();
        var adam = new Adam(learningRate: 1, beta1: 0, epsilon: 0, useEma: true, emaMomentum: 0.2) { EmaWarmup = true };
        var weight = tensor(new[] { 10.0 }, ScalarType.Float64).requires_grad_(true);
        adam.Build([weight]);
        // Step 1 (t = 0): μ = 0. Step 2 (t = 1): μ = min(0.2, 2/11) = 2/11. Step 3 (t = 2): μ = min(0.2, 3/12) = 0.2.
        double second = 2.0 / 11 * 9 + 9.0 / 11 * 8;
        double[] averages = [9, second, 0.2 * second + 0.8 * 7];
        for (int t = 0; t < 3; t++)
        {
            Step(adam, weight);
            Assert.AreEqual(averages[t], adam.MovingAverages![0].item<double>(), 1e-12, $"average after step {t + 1}");
        }
        Assert.IsFalse(new Adam(useEma: true).EmaWarmup, "Keras's behaviour by default");
        adam.Release();
    }

    [TestMethod]
    public void OverwriteFrequency_PutsTheAverageInTheWeightsEveryNthStep()
    {
        using var scope = NewDisposeScope();
        var (adam, weight) = Build(momentum: 0.5, overwriteFrequency: 2);
        // Step 1: w 9, avg 9. Step 2: w 8, avg 8.5, overwritten: w 8.5. Step 3: w 7.5, avg 8. Step 4: w 6.5, avg 7.25 → w 7.25.
        double[] weights = [9, 8.5, 7.5, 7.25];
        for (int t = 0; t < 4; t++)
        {
            Step(adam, weight);
            Assert.AreEqual(weights[t], weight.item<double>(), 1e-12, $"weight after step {t + 1}");
        }
        Assert.AreEqual(7.25, adam.MovingAverages![0].item<double>(), 1e-12);
        adam.Release();
    }

    [TestMethod]
    public void WithoutEma_ThereAreNoAverages_AndFinalizeChangesNothing()
    {
        using var scope = NewDisposeScope();
        var adam = new Adam(learningRate: 1, beta1: 0, epsilon: 0);
        Assert.AreEqual((false, 0.99, (int?)null), (adam.UseEma, adam.EmaMomentum, adam.EmaOverwriteFrequency));
        var weight = tensor(new[] { 10.0 }, ScalarType.Float64).requires_grad_(true);
        adam.Build([weight]);
        Step(adam, weight);
        adam.FinalizeVariableValues();
        Assert.IsNull(adam.MovingAverages);
        Assert.AreEqual(9.0, weight.item<double>(), 1e-12);
        adam.Release();
    }

    [TestMethod]
    public void Fit_EndsWithTheAveragedWeights_AsKerasFitDoes()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, -1, -3 }, [4, 1]);
        var y = tensor(new long[] { 0, 0, 1, 1 });
        Sequential Classifier(bool useEma)
        {
            var model = new Sequential(seed: 3);
            model.Add(new Dense(2, activation: "softmax", inputShape: [1]));
            model.Compile("sparse_categorical_crossentropy", new Adam(learningRate: 0.1, useEma: useEma, emaMomentum: 0.5));
            model.Fit(x, y, epochs: 3, batchSize: 4, shuffle: false, verbose: 0);
            return model;
        }
        using var averaged = Classifier(useEma: true);
        using var raw = Classifier(useEma: false);
        // Averaging does not change the steps, so `raw` holds the weights `averaged` had before fit ended.
        var averages = ((ITrainableModel)averaged).Optimizer.MovingAverages!;
        var weights = ((ITrainableModel)averaged).TrainableVariables;
        var rawWeights = ((ITrainableModel)raw).TrainableVariables;
        for (int i = 0; i < weights.Count; i++)
        {
            CollectionAssert.AreEqual(averages[i].data<float>().ToArray(), weights[i].data<float>().ToArray(), $"weight {i} is its average");
            Assert.IsGreaterThan(1e-4, (weights[i] - rawWeights[i]).abs().max().item<float>(), $"weight {i} is not the last step's");
        }
    }

    // Keras's fit puts the averages in before on_train_end, so that EarlyStopping's restore_best_weights has the last word.
    [TestMethod]
    public void Fit_PutsTheAveragesInBeforeTheCallbacksTrainEnd()
    {
        using var scope = NewDisposeScope();
        var model = new Sequential(seed: 4);
        model.Add(new Dense(2, activation: "softmax", inputShape: [1]));
        model.Compile("sparse_categorical_crossentropy", new Adam(learningRate: 0.1, useEma: true, emaMomentum: 0.5));
        using var owner = model;
        var seen = new WeightsAtTrainEnd();
        model.Fit(tensor(new float[] { 1, -1 }, [2, 1]), tensor(new long[] { 0, 1 }), epochs: 2, batchSize: 2, verbose: 0, callbacks: [seen]);
        var averages = ((ITrainableModel)model).Optimizer.MovingAverages!;
        for (int i = 0; i < averages.Count; i++)
        {
            CollectionAssert.AreEqual(averages[i].data<float>().ToArray(), seen.Weights[i], $"weight {i} at on_train_end");
        }
    }

    private sealed class WeightsAtTrainEnd : Callback
    {
        public List<float[]> Weights { get; } = [];

        public override void OnTrainEnd(IDictionary<string, double> logs) =>
            Weights.AddRange(Model.TrainableVariables.Select(w => w.data<float>().ToArray()));
    }

    // SGD with learning rate 1 on sum(w) moves w by −1 a step, as Adam does above: the same averages.
    [TestMethod]
    public void SgdAndRmsprop_AverageTheWeightsToo()
    {
        using var scope = NewDisposeScope();
        Optimizer[] optimizers = [new SGD(learningRate: 1, useEma: true, emaMomentum: 0.5), new RMSprop(useEma: true, emaMomentum: 0.5, emaOverwriteFrequency: 2)];
        Assert.AreEqual((true, 0.5, (int?)2), (optimizers[1].UseEma, optimizers[1].EmaMomentum, optimizers[1].EmaOverwriteFrequency));
        var sgd = optimizers[0];
        var weight = tensor(new[] { 10.0 }, ScalarType.Float64).requires_grad_(true);
        sgd.Build([weight]);
        double[] averages = [9, 8.5, 7.75];
        for (int t = 0; t < 3; t++)
        {
            using (var loss = weight.sum()) loss.backward();
            sgd.Step();
            Assert.AreEqual(averages[t], sgd.MovingAverages![0].item<double>(), 1e-12, $"average after step {t + 1}");
        }
        sgd.Release();
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SGD(useEma: true, emaMomentum: -0.1));
        Assert.AreEqual("ema_momentum must be in the range [0, 1]; received -0.1. (Parameter 'emaMomentum')", e.Message);
    }

    [TestMethod]
    public void BadEmaArguments_AreRefusedAsKerasRefusesThem()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Adam(useEma: true, emaMomentum: 1.5));
        Assert.AreEqual("ema_momentum must be in the range [0, 1]; received 1.5. (Parameter 'emaMomentum')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new Adam(useEma: true, emaOverwriteFrequency: 0));
        Assert.AreEqual("ema_overwrite_frequency must be an integer ≥ 1 or null; received 0. (Parameter 'emaOverwriteFrequency')", e.Message);
        // As in Keras, the checks apply only with use_ema.
        Assert.AreEqual(1.5, new Adam(emaMomentum: 1.5).EmaMomentum);
        Assert.ThrowsExactly<InvalidOperationException>(() => new Adam(useEma: true).FinalizeVariableValues());
    }
}
