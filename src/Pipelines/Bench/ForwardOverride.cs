using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// A compiled model seen by the <see cref="Trainer"/> with another forward pass over the same weights (each layer
/// timed, for <see cref="BenchProfile"/>): everything else — loss, optimizer, checks, weights —
/// is the model's own, so the profile trains through the one training core.
/// </summary>
/// <param name="model">A compiled model.</param>
/// <param name="forward">The forward pass on a batch's inputs.</param>
/// <param name="check">Replaces the model's batch check (e.g. timed, or nothing for data checked once up front); null keeps it.</param>
internal sealed class ForwardOverride(Model model, Func<IReadOnlyList<Tensor>, (Tensor Output, Tensor? Mask)> forward,
    Action<Batch, string>? check = null) : ITrainableModel
{
    private readonly ITrainableModel _model = model;

    public string Name => _model.Name;
    public Loss Loss => _model.Loss;
    public Optimizer Optimizer => _model.Optimizer;
    public IReadOnlyList<Metric> Metrics => _model.Metrics;
    public IReadOnlyList<Tensor> TrainableVariables => _model.TrainableVariables;

    public bool StopTraining
    {
        get => _model.StopTraining;
        set => _model.StopTraining = value;
    }

    /// <summary>Checks a batch as the constructor's check says.</summary>
    public void CheckBatch(Batch batch, string parameterName)
    {
        if (check is null) _model.CheckBatch(batch, parameterName);
        else check(batch, parameterName);
    }

    public (Tensor Output, Tensor? Mask) Forward(IReadOnlyList<Tensor> inputs, bool training)
    {
        if (model.training != training)
        {
            model.train(training);
        }
        return forward(inputs);
    }

    public int ThreadsFor(IReadOnlyList<Tensor> inputs) => _model.ThreadsFor(inputs);

    public IReadOnlyList<Tensor> GetWeights() => _model.GetWeights();
    public void SetWeights(IReadOnlyList<Tensor> weights) => _model.SetWeights(weights);
    public void SaveWeights(string path) => _model.SaveWeights(path);
    public void Save(string path) => _model.Save(path);
}
