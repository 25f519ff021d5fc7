from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from pipelines.models import Pipeline


@login_required
def board_home(request: HttpRequest) -> HttpResponse:
    pipeline = Pipeline.objects.filter(is_active=True).first()
    if pipeline is None:
        return render(request, "deals/no_pipeline.html", {"nav_section": "board"})
    return redirect("board-pipeline", pipeline_id=pipeline.pk)


@login_required
def board_page(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id, is_active=True)
    return render(request, "deals/board.html", {"pipeline": pipeline, "nav_section": "board"})
