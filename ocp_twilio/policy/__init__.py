"""What a call may do, and whether it may: effects, rules, approval. Internal.

The tools import ``policy.effects`` (a Tool's effects are known when it is built), so this
package imports nothing itself: whatever it held would load with every tool.
"""
