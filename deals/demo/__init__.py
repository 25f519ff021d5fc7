"""The demo company of ``manage.py seed_demo`` (docs/running.md).

The *catalogue* names the people, pipelines and shares. The *planner* decides what happened
to each deal with one ``random.Random(seed)``, reasoning in minutes before "now", so a seed
gives the same company whatever the date. The *company* module makes the users, teams,
pipelines and contacts; the *writer* bulk-inserts the deals' plans, which is what keeps
10,000 deals fast.

Bulk inserts bypass ``deal_move``, so the planner
applies the move rules itself (docs/domain/moves.md): a
forward move has every required exit item of the stage it leaves and entry item of the stage
it enters done beforehand (ticked, field filled, activity logged in time) or carries an
override reason naming exactly the items it skipped; a won deal has its last stage's exit
items; positions are dense per column; ``version`` counts the user writes on the timeline.
tests/deals/test_seed_demo.py checks the seeded data against those rules.
"""
