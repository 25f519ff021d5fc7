"""One process of the concurrent-moves test: random moves between two columns.

Run as ``python -m tests.ops.mover USER_ID SEED MOVES START_FILE DEAL_ID…`` with the test
database in DATABASE_URL. It waits for START_FILE (so both processes begin together), then
moves through ``deal_move`` like a board user: read the deal, send its version, and on a
conflict (or a position the column no longer has) read again. Prints what it did as JSON.
"""

import json
import os
import random
import sys
import time
from pathlib import Path

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipelinecrm.settings_test")
    django.setup()
    from accounts.models import User
    from deals.models import Deal
    from deals.services.moves import deal_move
    from pipelinecrm.exceptions import InvalidRequest, VersionConflict

    user_id, seed, moves, start_file, *deal_ids = sys.argv[1:]
    user = User.objects.get(pk=int(user_id))
    deals = [int(pk) for pk in deal_ids]
    stage_ids = sorted(set(Deal.objects.filter(pk__in=deals).values_list("stage", flat=True)))
    chance = random.Random(int(seed))
    done = {"moves": 0, "stage_changes": 0, "conflicts": 0, "stale_positions": 0}
    while not Path(start_file).exists():
        time.sleep(0.01)
    while done["moves"] < int(moves):
        deal = Deal.objects.get(pk=chance.choice(deals))
        stage_id = chance.choice(stage_ids)
        # The column as this "board" last saw it; the other process may change it meanwhile.
        others = Deal.objects.filter(stage=stage_id, status=Deal.Status.OPEN).exclude(pk=deal.pk)
        try:
            result = deal_move(
                user=user,
                deal=deal,
                stage=stage_id,
                version=deal.version,
                position=chance.randint(0, others.count()),
            )
        except VersionConflict:
            done["conflicts"] += 1
            continue
        except InvalidRequest:
            done["stale_positions"] += 1  # the column shrank since: refused, nothing changed
            continue
        done["moves"] += 1
        done["stage_changes"] += result.changed_stage
    print(json.dumps(done))


if __name__ == "__main__":
    main()
